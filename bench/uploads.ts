// Upload benchmark: the gateway (child process, local blob backend) against a raw
// stream-to-disk node http server (child process), measured in the same run.
//
//   npx tsx bench/uploads.ts            # 100 concurrent × 10 MB, 3 rounds each
//   BENCH_UPLOADS=50 BENCH_SIZE_MB=5 BENCH_ROUNDS=5 npx tsx bench/uploads.ts
//
// Prints per-round MB/s, the medians, their ratio (target ≥ 0.8×) and the gateway's
// peak RSS from /proc/PID/status VmRSS sampled every 20 ms (target ≤ 200 MiB).
// The baseline writes each request body to its own file with the same durability as
// the blob store (flush/fsync on close); it does no parsing, hashing or renaming.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import FormData from 'form-data';
import { Agent, request } from 'undici';

const N = Number(process.env.BENCH_UPLOADS ?? 100);
const SIZE = Math.round(Number(process.env.BENCH_SIZE_MB ?? 10) * 1024 * 1024);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RSS_TARGET_MIB = 200;
const RATIO_TARGET = 0.8;
const START_TIMEOUT_MS = 30_000;

// One pseudo-random block; each upload streams zero-copy slices of it from its own offset.
const BLOCK = Buffer.alloc(1_048_583);
for (let i = 0, x = 0x2545f491; i < BLOCK.length; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  BLOCK[i] = x & 0xff;
}
function body(size: number, seed: number): Readable {
  let sent = 0;
  let pos = (seed * 7919) % BLOCK.length;
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(64 * 1024, size - sent, BLOCK.length - pos);
      this.push(BLOCK.subarray(pos, pos + n));
      sent += n;
      pos = (pos + n) % BLOCK.length;
    },
  });
}

const RAW_SERVER = `
import { createServer } from 'node:http';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
let n = 0;
const dir = process.env.RAW_DIR;
const server = createServer(async (req, res) => {
  try {
    await pipeline(req, createWriteStream(join(dir, 'u' + (n++)), { flush: true }));
    res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
  } catch { res.destroy(); }
});
server.listen(0, '127.0.0.1', () => process.send({ type: 'raw:ready', port: server.address().port, pid: process.pid }));
process.on('disconnect', () => process.exit(0));
`;

interface Target {
  name: string;
  url: string;
  pid: number;
  child: ChildProcess;
}

async function waitMessage<T extends { type: string }>(child: ChildProcess, type: string): Promise<T> {
  const timer = AbortSignal.timeout(START_TIMEOUT_MS);
  for (;;) {
    const [msg] = (await once(child, 'message', { signal: timer })) as [T];
    if (msg?.type === type) return msg;
  }
}

async function startGateway(root: string): Promise<Target> {
  const child = fork(join(import.meta.dirname, '..', 'src', 'gateway', 'cli.ts'), [], {
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean)],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      ...process.env,
      CONDUIT_HTTP_PORT: '0',
      CONDUIT_WS_PORT: '0',
      CONDUIT_BIND: '127.0.0.1',
      CONDUIT_CONFIG: join(root, 'conduit.yaml'),
      CONDUIT_BLOB_BACKEND: 'local',
      CONDUIT_BLOB_LOCAL_DIR: join(root, 'blobs'),
      CONDUIT_HTTP_LOG: join(root, 'http.jsonl'),
      CONDUIT_WS_LOG: join(root, 'ws.jsonl'),
      CONDUIT_LOG_LEVEL: 'warn',
      CONDUIT_MAX_CONCURRENT_UPLOADS: String(N),
      CONDUIT_MAX_CONCURRENT_UPLOADS_PER_IP: String(N),
      CONDUIT_MAX_CONCURRENT_UPLOADS_PER_TENANT: String(N),
      CONDUIT_MULTIPART_MAX_PART_SIZE: String(SIZE + 1024),
      CONDUIT_MAX_UPLOAD_SIZE: String(SIZE + 1024),
    },
  });
  const ready = await waitMessage<{ type: string; httpUrl: string; pid: number }>(child, 'conduit:ready');
  return { name: 'gateway', url: `${ready.httpUrl}/v1/upload`, pid: ready.pid, child };
}

async function startRaw(root: string): Promise<Target> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', RAW_SERVER], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, RAW_DIR: join(root, 'raw') },
  });
  const ready = await waitMessage<{ type: string; port: number; pid: number }>(child, 'raw:ready');
  return { name: 'raw', url: `http://127.0.0.1:${ready.port}/upload`, pid: ready.pid, child };
}

async function stop(t: Target): Promise<void> {
  if (t.child.exitCode !== null || t.child.signalCode !== null) return;
  console.error('stopping', t.name);
  const exited = once(t.child, 'exit');
  t.child.kill('SIGTERM');
  const timer = setTimeout(() => t.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Sample VmRSS of `pid` every 20 ms until stopped; returns the peak in bytes. */
function sampleRss(pid: number): () => number {
  let peak = 0;
  const read = async () => {
    const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(text)?.[1] ?? 0);
    peak = Math.max(peak, kb * 1024);
  };
  void read();
  const timer = setInterval(() => void read(), 20);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

/** utime + stime of `pid` in seconds. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

async function round(t: Target, agent: Agent, seedBase: number): Promise<number> {
  const started = performance.now();
  let bytes = 0;
  await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const form = new FormData();
      form.append('file', body(SIZE, seedBase + i), { filename: `f${i}.bin`, contentType: 'application/octet-stream', knownLength: SIZE });
      const res = await request(t.url, {
        method: 'POST',
        dispatcher: agent,
        headers: { ...(form.getHeaders() as Record<string, string>), 'content-length': String(form.getLengthSync()) },
        body: form.pipe(new PassThrough()),
      });
      const text = await res.body.text();
      if (res.statusCode !== 201) throw new Error(`${t.name}: upload ${i} answered ${res.statusCode} ${text}`);
      bytes += SIZE;
    }),
  );
  return bytes / 1e6 / ((performance.now() - started) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number) => x.toFixed(1);

async function main(): Promise<number> {
  const root = await mkdtemp(join(tmpdir(), 'conduit-bench-uploads-'));
  await writeFile(join(root, 'conduit.yaml'), 'tenants: {}\n');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(root, 'raw'));
  const agent = new Agent({ connections: N, keepAliveTimeout: 1000 });
  const targets: Target[] = [];
  try {
    const gateway = await startGateway(root);
    targets.push(gateway);
    const raw = await startRaw(root);
    targets.push(raw);
    const idle = sampleRss(gateway.pid);
    await new Promise((r) => setTimeout(r, 100));
    const idleRss = idle();
    console.log(`uploads bench: ${N} concurrent × ${fmt(SIZE / 1024 / 1024)} MiB, ${ROUNDS} rounds each (gateway pid ${gateway.pid}, idle RSS ${fmt(idleRss / 1024 / 1024)} MiB)`);
    const results: Record<string, number[]> = { gateway: [], raw: [] };
    let peakRss = 0;
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first so neither always gets the warmer page cache.
      const order = r % 2 === 0 ? [gateway, raw] : [raw, gateway];
      for (const t of order) {
        const stopSampling = t === gateway ? sampleRss(gateway.pid) : undefined;
        const cpu0 = await cpuSeconds(t.pid);
        const mbps = await round(t, agent, r * 1000);
        const cpu = (await cpuSeconds(t.pid)) - cpu0;
        if (stopSampling) peakRss = Math.max(peakRss, stopSampling());
        results[t.name].push(mbps);
        console.log(`  round ${r + 1} ${t.name.padEnd(7)} ${fmt(mbps)} MB/s  (server CPU ${cpu.toFixed(2)} s)`);
        await rm(join(root, 'raw'), { recursive: true, force: true });
        await mkdir(join(root, 'raw'));
      }
    }
    const g = median(results.gateway);
    const b = median(results.raw);
    const ratio = g / b;
    const rssMiB = peakRss / 1024 / 1024;
    console.log(`gateway median ${fmt(g)} MB/s, raw stream-to-disk median ${fmt(b)} MB/s, ratio ${ratio.toFixed(2)}× (target ≥ ${RATIO_TARGET}×: ${ratio >= RATIO_TARGET ? 'met' : 'MISSED'})`);
    console.log(`gateway peak RSS ${fmt(rssMiB)} MiB (target ≤ ${RSS_TARGET_MIB} MiB: ${rssMiB <= RSS_TARGET_MIB ? 'met' : 'MISSED'})`);
    return 0;
  } finally {
    await agent.destroy();
    for (const t of targets) await stop(t);
    await rm(root, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err);
  return 1;
});
