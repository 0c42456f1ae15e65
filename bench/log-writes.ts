// Benchmark: what one request-log line costs the gateway's event loop in each way of
// writing it, and how much garbage it makes (young-generation GCs per 100k lines).
//
//   npx tsx bench/log-writes.ts
//   BENCH_ROUNDS=5 BENCH_LINES=300000 npx tsx bench/log-writes.ts
//
// Each variant runs in a fresh child process (`node --max-semi-space-size=4`, as the
// gateway runs) that logs BENCH_LINES lines of the request log's shape:
// - string-4k:    pino, SonicBoom in its default string mode, 4 KiB batches (the gateway
//                 before its log writes were batched as Buffers);
// - gateway-pino: pino through the gateway's createLogs() destination (buffer mode,
//                 LOG_BATCH_BYTES batches): the request line before it had its own
//                 serializer;
// - gateway:      the gateway's request line (createLogs().logs.requests: a compiled
//                 fast-json-stringify serializer, the same destination);
// - noop:         pino writing to a stream that drops every line (pino's own cost).
// Rounds alternate the order; printed: µs per line and minor GCs per 100k lines, medians,
// and each variant's ratio to string-4k per round (median).
import { spawn } from 'node:child_process';
import type { RequestLine } from '../src/gateway/observability/request-line.js';
import { median } from './lib/proc.js';

const ROUNDS = Math.max(1, Math.min(15, Number(process.env.BENCH_ROUNDS ?? 3)));
const LINES = Math.max(10_000, Math.min(2_000_000, Number(process.env.BENCH_LINES ?? 200_000)));
const VARIANTS = ['string-4k', 'gateway-pino', 'gateway', 'noop'] as const;
type Variant = (typeof VARIANTS)[number];

interface Run {
  usPerLine: number;
  minorGcsPer100k: number;
}

if (process.env.LOG_BENCH_CHILD) {
  const result = await child(process.env.LOG_BENCH_CHILD as Variant);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

async function child(variant: Variant): Promise<Run> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { PerformanceObserver, constants } = await import('node:perf_hooks');
  const { default: pino } = await import('pino');
  const { createLogs } = await import('../src/gateway/observability/loggers.js');
  const { envDefaults } = await import('../src/gateway/config/env.js');
  const dir = mkdtempSync(join(tmpdir(), 'conduit-bench-log-'));
  let minor = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
  });
  let close = async () => {};
  let log: { info(o: RequestLine): void };
  if (variant === 'gateway' || variant === 'gateway-pino') {
    const owned = await createLogs(
      envDefaults({
        CONDUIT_HTTP_LOG: join(dir, 'http.jsonl'),
        CONDUIT_WS_LOG: join(dir, 'ws.jsonl'),
        CONDUIT_LOG_LEVEL: 'silent',
      }),
    );
    const { requests, http } = owned.logs;
    // The request log queues lines for the end of the event-loop turn: flush as a turn
    // that answered one request per connection (32) would.
    let queued = 0;
    const turn = (o: RequestLine) => {
      requests.write(o);
      if (++queued % 32 === 0) requests.flush();
    };
    log = variant === 'gateway' ? { info: turn } : http;
    close = () => owned.close();
  } else {
    let last = -1;
    let ts = '';
    const options = {
      base: undefined,
      timestamp: () => {
        const now = Date.now();
        if (now !== last) {
          last = now;
          ts = `,"ts":"${new Date(now).toISOString()}"`;
        }
        return ts;
      },
      formatters: { level: (label: string) => ({ level: label }) },
    };
    const dest =
      variant === 'noop'
        ? { write: () => {} }
        : pino.destination({ dest: join(dir, 'http.jsonl'), sync: true, minLength: 4096, maxWrite: 8192 });
    log = pino(options, dest);
  }
  const line = (i: number): RequestLine => ({
    reqId: `h-${i.toString(36)}`,
    ip: '127.0.0.1',
    tenant: 'bench',
    method: 'POST',
    path: '/v1/enqueue',
    route: '/v1/enqueue',
    status: 200,
    durMs: 0.123,
    bytesIn: 60,
    bytesOut: 40,
  });
  for (let i = 0; i < 20_000; i++) log.info(line(i)); // warm-up
  observer.observe({ entryTypes: ['gc'] });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < LINES; i++) log.info(line(i));
  const us = Number(process.hrtime.bigint() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 100)); // the observer gets its GC entries on a later turn
  observer.disconnect();
  await close();
  rmSync(dir, { recursive: true, force: true });
  return { usPerLine: us / LINES, minorGcsPer100k: (minor * 100_000) / LINES };
}

function runChild(variant: Variant): Promise<Run> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--max-semi-space-size=4', '--import', 'tsx', import.meta.filename], {
      env: { ...process.env, LOG_BENCH_CHILD: variant },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d));
    c.on('error', reject);
    c.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Run)
        : reject(new Error(`${variant}: exit ${code}`)),
    );
  });
}

const runs = new Map<Variant, Run[]>(VARIANTS.map((v) => [v, []]));
console.log(
  `log-writes: ${LINES.toLocaleString('en-US')} request-log lines per run, ${ROUNDS} rounds, node --max-semi-space-size=4`,
);
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
  for (const v of order) {
    const run = await runChild(v);
    runs.get(v)!.push(run);
    console.log(
      `  round ${r + 1} ${v.padEnd(12)} ${run.usPerLine.toFixed(2)} µs/line  ${run.minorGcsPer100k.toFixed(0)} minor GCs per 100k lines`,
    );
  }
}
const base = runs.get('string-4k')!;
console.log('\nvariant       µs/line (median)  minor GCs/100k (median)  µs/line vs string-4k (median of rounds)');
for (const v of VARIANTS) {
  const xs = runs.get(v)!;
  console.log(
    `${v.padEnd(12)}  ${median(xs.map((x) => x.usPerLine))
      .toFixed(2)
      .padStart(16)}  ${median(xs.map((x) => x.minorGcsPer100k))
      .toFixed(0)
      .padStart(23)}  ${median(xs.map((x, i) => x.usPerLine / base[i]!.usPerLine))
      .toFixed(2)
      .padStart(8)}×`,
  );
}
