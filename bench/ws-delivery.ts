// Benchmark: delivered messages per second through /v1/subscribe for 100 credit-flow
// subscribers, against a raw `ws` credit-loop server measured in the same run.
//
//   npx tsx bench/ws-delivery.ts
//
// The subscribers run in a child process (so the servers get their own core); each
// keeps a credit window open (acks every delivery, tops up credit every half window).
// The baseline server speaks the same frames but keeps no state beyond a credit
// counter: the ratio is what the gateway's bookkeeping (credit, in-flight sets, ack
// timeouts, metrics, logs) costs. Rounds alternate baseline/gateway; medians are
// compared. Knobs (env): BENCH_SUBSCRIBERS (100), BENCH_WINDOW (50),
// BENCH_DURATION_MS (2000), BENCH_WARMUP_MS (500), BENCH_ROUNDS (3), BENCH_TARGET (0.6),
// BENCH_STRICT=1 exits 1 below the target, BENCH_BASELINE_CORK=1 lets the baseline batch
// each burst into one TCP write as the gateway does (a stronger baseline).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { median } from './lib/proc.js';

interface Job {
  url: string;
  subscribers: number;
  window: number;
  warmupMs: number;
  durationMs: number;
}
interface JobResult {
  delivered: number;
  ms: number;
}

const num = (name: string, def: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : def;
};

// ---------------------------------------------------------------- client process

async function runClients(job: Job): Promise<JobResult> {
  const sockets: WebSocket[] = [];
  let counting = false;
  let delivered = 0;
  const half = Math.max(1, Math.floor(job.window / 2));
  await Promise.all(
    Array.from({ length: job.subscribers }, () => {
      const ws = new WebSocket(job.url, { perMessageDeflate: false });
      sockets.push(ws);
      let acks = 0;
      ws.on('error', () => {});
      return new Promise<void>((resolve, reject) => {
        ws.once('error', reject);
        ws.on('message', (data) => {
          const f = JSON.parse(String(data));
          if (f.deliver) {
            if (counting) delivered++;
            ws.send(`{"ack":${JSON.stringify(f.deliver.id)}}`);
            if (++acks % half === 0) ws.send(`{"credit":${half}}`);
          } else if (f.subscribed) resolve();
        });
      });
    }),
  );
  for (const ws of sockets) ws.send(JSON.stringify({ credit: job.window }));
  await new Promise((r) => setTimeout(r, job.warmupMs));
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, job.durationMs));
  counting = false;
  const ms = performance.now() - t0;
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.terminate();
        }),
    ),
  );
  return { delivered, ms };
}

if (process.argv[2] === '--client') {
  process.on('message', (job: Job) => {
    const hard = setTimeout(() => process.exit(2), job.warmupMs + job.durationMs + 20_000);
    runClients(job).then(
      (r) => {
        clearTimeout(hard);
        process.send?.(r);
      },
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}

// ---------------------------------------------------------------- baseline server

/** The simplest correct credit loop: a counter per socket, messages made on demand. */
async function startBaseline(cork: boolean): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  let seq = 0;
  wss.on('connection', (ws, req) => {
    let credit = 0;
    ws.send(JSON.stringify({ subscribed: { stream: 'bench', credit: 0 } }));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (typeof f.credit === 'number') {
        credit += f.credit;
        // BENCH_BASELINE_CORK=1: batch the burst into one TCP write, as the gateway does.
        if (cork) req.socket.cork();
        while (credit > 0) {
          credit--;
          const i = seq++;
          ws.send(
            JSON.stringify({
              deliver: { id: i.toString(36), stream: 'bench', envelope: { i }, attempt: 1, enqueuedAt: Date.now() },
            }),
          );
        }
        if (cork) req.socket.uncork();
      }
    });
  });
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/v1/subscribe?stream=bench`,
    close: () =>
      new Promise((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------- gateway

async function startConduit(): Promise<{ url: string; close(): Promise<void> }> {
  const { createGateway } = await import('../src/gateway/app.js');
  const { envDefaults } = await import('../src/gateway/config/env.js');
  const dir = await mkdtemp(join(tmpdir(), 'conduit-bench-'));
  const env = envDefaults({
    CONDUIT_HTTP_PORT: 0,
    CONDUIT_WS_PORT: 0,
    CONDUIT_CONFIG: join(dir, 'none.yaml'),
    CONDUIT_HTTP_LOG: join(dir, 'http.jsonl'),
    CONDUIT_WS_LOG: join(dir, 'ws.jsonl'),
    CONDUIT_BLOB_LOCAL_DIR: join(dir, 'blobs'),
    CONDUIT_STREAM_MAX_DEPTH: 1_000_000,
    // The bench's subscribers ack every message: far above the default frame rate.
    CONDUIT_WS_MAX_FRAMES_PER_S: 1_000_000,
    // Measure delivery, not load shedding: a saturated bench process would otherwise
    // get its reconnects between rounds refused with 503 OVERLOADED.
    CONDUIT_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: 0,
  });
  const gw = await createGateway({ env, configOptional: true, appLog: new Writable({ write: (_c, _e, cb) => cb() }) });
  const { wsUrl } = await gw.listen();
  // Keep the stream topped up (the baseline makes messages on demand; so does this).
  const LOW = 20_000;
  let seq = 0;
  let filling = false;
  let stopped = false;
  let refilling: Promise<void> = Promise.resolve();
  const refill = async () => {
    if (filling || stopped) return;
    filling = true;
    try {
      const { depth } = await gw.ctx.streams.stats('default', 'bench');
      if (depth >= LOW) return;
      // In slices, yielding between them, so refilling never stalls deliveries for long.
      for (let n = depth; n < 2 * LOW; n += 1000) {
        for (let k = 0; k < 1000; k++) await gw.ctx.streams.enqueue('default', 'bench', { i: seq++ });
        await new Promise((r) => setImmediate(r));
        if (stopped) return;
      }
    } finally {
      filling = false;
    }
  };
  await refill();
  const timer = setInterval(() => {
    if (!filling) refilling = refill();
  }, 10);
  return {
    url: `${wsUrl}/v1/subscribe?stream=bench`,
    async close() {
      // Stop the producer and let a refill in progress finish before the engine closes.
      stopped = true;
      clearInterval(timer);
      await refilling;
      await gw.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- main

function runRound(child: ChildProcess, job: Job): Promise<JobResult> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`client process exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (r) => {
      child.off('exit', onExit);
      resolve(r as JobResult);
    });
    child.send(job);
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12);

async function main(): Promise<void> {
  const subscribers = num('BENCH_SUBSCRIBERS', 100);
  const window = num('BENCH_WINDOW', 50);
  const durationMs = num('BENCH_DURATION_MS', 2000);
  const warmupMs = num('BENCH_WARMUP_MS', 500);
  const rounds = num('BENCH_ROUNDS', 3);
  const target = num('BENCH_TARGET', 0.6);

  const child = fork(fileURLToPath(import.meta.url), ['--client'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const corkBaseline = process.env.BENCH_BASELINE_CORK === '1';
  const baseline = await startBaseline(corkBaseline);
  const conduit = await startConduit();
  const rows: Array<{ base: number; gw: number }> = [];
  try {
    console.log(
      `ws-delivery: ${subscribers} subscribers, credit window ${window}, ${durationMs} ms per round (+${warmupMs} ms warm-up), ${rounds} rounds, baseline ${corkBaseline ? 'batches each burst into one write (BENCH_BASELINE_CORK=1)' : 'writes frame by frame'}`,
    );
    console.log(`round   baseline msg/s    gateway msg/s   ratio`);
    for (let r = 1; r <= rounds; r++) {
      const b = await runRound(child, { url: baseline.url, subscribers, window, warmupMs, durationMs });
      const g = await runRound(child, { url: conduit.url, subscribers, window, warmupMs, durationMs });
      const row = { base: (b.delivered * 1000) / b.ms, gw: (g.delivered * 1000) / g.ms };
      rows.push(row);
      console.log(`${String(r).padStart(5)} ${fmt(row.base)}     ${fmt(row.gw)}   ${(row.gw / row.base).toFixed(2)}`);
    }
  } finally {
    child.kill();
    await conduit.close();
    await baseline.close();
  }
  const mb = median(rows.map((r) => r.base));
  const mg = median(rows.map((r) => r.gw));
  // Two robust summaries: the ratio of the medians, and the median of the per-round
  // ratios (each round pairs adjacent runs, so it is less sensitive to load drifting on
  // a shared machine). The verdict uses the lower of the two.
  const ofMedians = mg / mb;
  const perRound = median(rows.map((r) => r.gw / r.base));
  const ratio = Math.min(ofMedians, perRound);
  console.log(`median ${fmt(mb)}     ${fmt(mg)}   ${ofMedians.toFixed(2)}`);
  console.log(`median of per-round ratios: ${perRound.toFixed(2)}`);
  const ok = ratio >= target;
  console.log(
    `gateway / raw ws baseline = ${ratio.toFixed(2)}x (lower of the two; target >= ${target}x): ${ok ? 'OK' : 'BELOW TARGET'}`,
  );
  if (!ok && process.env.BENCH_STRICT === '1') process.exitCode = 1;
}

if (process.argv[2] !== '--client') {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
