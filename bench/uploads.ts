// Upload benchmark: the gateway (child process, built JS, local blob backend) against a
// raw stream-to-disk node http server (child process), measured in the same run.
//
//   npx tsx bench/uploads.ts            # 100 concurrent × 10 MiB, 3 rounds each
//   BENCH_UPLOADS=50 BENCH_SIZE_MB=5 BENCH_ROUNDS=5 npx tsx bench/uploads.ts
//   CONDUIT_BLOB_HASH_THREADS=0 npx tsx bench/uploads.ts   # gateway hashing inline (the environment is passed on)
//
// Fairness:
// - The gateway runs as production does, `node dist/gateway/cli.js` (no tsx loader in
//   its memory or CPU). When dist/ is older than src/ the bench runs `npm run build`
//   first (BENCH_NO_BUILD=1 skips that and uses dist/ as it is).
// - Both servers receive the same multipart bodies from the same client code (same data
//   generator, same form-data framing, same undici agent), so the client's CPU cost is
//   identical; it is printed per round to show it.
// - The baseline writes each request body, unparsed, to its own file with the same
//   durability as the blob store (fs write stream with flush: fsync before close); it
//   does no parsing, hashing, renaming or manifest. The gateway does all of that
//   (streaming multipart parse, sha256 of every byte, temp file + fsync, dedup link,
//   per-blob record + fsync, directory fsync, a durable manifest line) before it
//   answers 201; the bench
//   checks every returned sha256 and size against digests computed before the round.
//
// Prints per round: MB/s (MB = 10^6 bytes), server CPU seconds per GB (utime + stime
// from /proc), client CPU seconds per GB, peak RSS of each server (/proc/PID/status
// VmRSS every 20 ms); then the medians, the ratio of the median MB/s (target ≥ 0.8×) and
// the gateway's peak RSS over all rounds (target ≤ 200 MiB). Every round has a deadline.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once, setMaxListeners } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import FormData from 'form-data';
import { Agent, request } from 'undici';

const N = Number(process.env.BENCH_UPLOADS ?? 100);
const SIZE = Math.round(Number(process.env.BENCH_SIZE_MB ?? 10) * 1024 * 1024);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const WARMUP_SIZE = 1024 * 1024;
const ROUND_TIMEOUT_MS = Number(process.env.BENCH_ROUND_TIMEOUT_S ?? 120) * 1000;
const THREADS = process.env.BENCH_THREADS === '1';
const RSS_TARGET_MIB = 200;
const RATIO_TARGET = 0.8;
const START_TIMEOUT_MS = 30_000;
const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'gateway', 'cli.js');

// One pseudo-random block; each upload streams zero-copy slices of it from its own offset.
const BLOCK = Buffer.alloc(1_048_583);
for (let i = 0, x = 0x2545f491; i < BLOCK.length; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  BLOCK[i] = x & 0xff;
}
function* slices(size: number, seed: number): Generator<Buffer> {
  let sent = 0;
  let pos = (seed * 7919) % BLOCK.length;
  while (sent < size) {
    const n = Math.min(64 * 1024, size - sent, BLOCK.length - pos);
    yield BLOCK.subarray(pos, pos + n);
    sent += n;
    pos = (pos + n) % BLOCK.length;
  }
}
function body(size: number, seed: number): Readable {
  const it = slices(size, seed);
  return new Readable({
    read() {
      const next = it.next();
      this.push(next.done ? null : next.value);
    },
  });
}
function sha256Of(size: number, seed: number): string {
  const h = createHash('sha256');
  for (const s of slices(size, seed)) h.update(s);
  return h.digest('hex');
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
  name: 'gateway' | 'raw';
  url: string;
  pid: number;
  child: ChildProcess;
}

/** Newest mtime (ms) of the .ts files under `dir`. */
function newestTs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Build dist/ when it is missing or older than src/ (unless BENCH_NO_BUILD=1). */
async function ensureBuilt(): Promise<void> {
  const stale = !existsSync(CLI) || statSync(CLI).mtimeMs < newestTs(join(ROOT, 'src', 'gateway'));
  if (!stale) return;
  if (process.env.BENCH_NO_BUILD === '1') {
    if (!existsSync(CLI)) throw new Error('dist/gateway/cli.js is missing: run `npm run build`');
    console.error('warning: dist/ is older than src/ (BENCH_NO_BUILD=1: benchmarking it anyway)');
    return;
  }
  console.error('dist/ is older than src/: running `npm run build`');
  const child = spawn('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  // tsc emits even when it reports type errors (possibly in files outside the gateway).
  if (code !== 0 && !(existsSync(CLI) && statSync(CLI).mtimeMs >= newestTs(join(ROOT, 'src', 'gateway')))) {
    throw new Error(`npm run build failed (exit ${code})`);
  }
  if (code !== 0) console.error('warning: `npm run build` reported errors; dist/gateway was emitted and is used');
}

async function waitMessage<T extends { type: string }>(child: ChildProcess, type: string): Promise<T> {
  const timer = AbortSignal.timeout(START_TIMEOUT_MS);
  for (;;) {
    const [msg] = (await once(child, 'message', { signal: timer })) as [T];
    if (msg?.type === type) return msg;
  }
}

async function startGateway(root: string): Promise<Target> {
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, CLI], {
    cwd: root,
    // BENCH_GATEWAY_STDOUT=1 shows the gateway's stdout (e.g. with BENCH_GATEWAY_NODE_ARGS=--trace-gc).
    stdio: ['ignore', process.env.BENCH_GATEWAY_STDOUT === '1' ? 'inherit' : 'ignore', 'inherit', 'ipc'],
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

/** Per thread name (main thread, libuv pool and V8 workers are all "node"): CPU seconds and voluntary context switches. */
async function threadStats(pid: number): Promise<Map<string, { cpu: number; vcsw: number }>> {
  const out = new Map<string, { cpu: number; vcsw: number }>();
  const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const tid of tids) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    const status = await readFile(`/proc/${pid}/task/${tid}/status`, 'utf8').catch(() => '');
    if (!stat) continue;
    const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[\d-]+$/, '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const prev = out.get(name) ?? { cpu: 0, vcsw: 0 };
    prev.cpu += (Number(fields[11]) + Number(fields[12])) / 100;
    prev.vcsw += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
    out.set(name, prev);
  }
  return out;
}

/** Busy and total jiffies of the whole machine (all cores) from /proc/stat. */
async function machineJiffies(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8').catch(() => 'cpu 0 0 0 0')).split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

interface RoundResult {
  mbps: number;
  serverCpuPerGB: number;
  clientCpuPerGB: number;
  peakRss: number;
  /** Share of the machine's CPU (all processes, all cores) busy during the round. */
  machineBusy: number;
  /** BENCH_THREADS=1: server CPU-s/GB and voluntary context switches per GB by thread name. */
  threads: string | undefined;
}

/** N concurrent uploads of SIZE bytes to `t`; checks the gateway's digests against `digests`. */
async function round(t: Target, agent: Agent, seedBase: number, digests: string[], size = SIZE): Promise<RoundResult> {
  const signal = AbortSignal.timeout(ROUND_TIMEOUT_MS);
  setMaxListeners(N + 10, signal);
  const stopRss = sampleRss(t.pid);
  const cpu0 = await cpuSeconds(t.pid);
  const threads0 = THREADS ? await threadStats(t.pid) : undefined;
  const client0 = process.cpuUsage();
  const machine0 = await machineJiffies();
  const started = performance.now();
  let bytes = 0;
  let peakRss = 0;
  try {
    await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const form = new FormData();
        form.append('file', body(size, seedBase + i), { filename: `f${i}.bin`, contentType: 'application/octet-stream', knownLength: size });
        const res = await request(t.url, {
          method: 'POST',
          dispatcher: agent,
          signal,
          headers: { ...(form.getHeaders() as Record<string, string>), 'content-length': String(form.getLengthSync()) },
          body: form.pipe(new PassThrough()),
        });
        const text = await res.body.text();
        if (res.statusCode !== 201) throw new Error(`${t.name}: upload ${i} answered ${res.statusCode} ${text}`);
        if (t.name === 'gateway' && digests.length > 0) {
          const file = (JSON.parse(text) as { files: Array<{ sha256: string; size: number }> }).files[0];
          if (file?.sha256 !== digests[i] || file.size !== size) throw new Error(`gateway: upload ${i} stored ${JSON.stringify(file)}, expected sha256 ${digests[i]}`);
        }
        bytes += size;
      }),
    );
  } finally {
    peakRss = stopRss();
  }
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(client0);
  const machine1 = await machineJiffies();
  const gb = bytes / 1e9;
  let threads: string | undefined;
  if (threads0) {
    const parts: string[] = [];
    for (const [name, now] of await threadStats(t.pid)) {
      const before = threads0.get(name) ?? { cpu: 0, vcsw: 0 };
      parts.push(`${name} ${((now.cpu - before.cpu) / gb).toFixed(2)} CPU-s/GB ${Math.round((now.vcsw - before.vcsw) / gb)} vcsw/GB`);
    }
    threads = parts.join(', ');
  }
  return {
    threads,
    machineBusy: (machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total),
    mbps: bytes / 1e6 / seconds,
    serverCpuPerGB: ((await cpuSeconds(t.pid)) - cpu0) / gb,
    clientCpuPerGB: (client.user + client.system) / 1e6 / gb,
    peakRss,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const fmt = (x: number, d = 1) => x.toFixed(d);
const mib = (bytes: number) => fmt(bytes / 1024 / 1024);

async function main(): Promise<number> {
  await ensureBuilt();
  const root = await mkdtemp(join(tmpdir(), 'conduit-bench-uploads-'));
  await writeFile(join(root, 'conduit.yaml'), 'tenants: {}\n');
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
    console.log(
      `uploads bench: ${N} concurrent × ${mib(SIZE)} MiB, ${ROUNDS} rounds each; gateway = node dist/gateway/cli.js (pid ${gateway.pid}, idle RSS ${mib(idleRss)} MiB), raw pid ${raw.pid}; CONDUIT_BLOB_HASH_THREADS=${process.env.CONDUIT_BLOB_HASH_THREADS ?? '(unset)'}`,
    );
    // Warm-up, not measured: the first requests pay for JIT compilation and lazy setup
    // in either server; a long-running service does not.
    for (const t of [gateway, raw]) await round(t, agent, 9_000_000, [], WARMUP_SIZE);
    await rm(join(root, 'raw'), { recursive: true, force: true });
    await mkdir(join(root, 'raw'));
    const results: Record<Target['name'], RoundResult[]> = { gateway: [], raw: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const digests = Array.from({ length: N }, (_, i) => sha256Of(SIZE, r * 1000 + i));
      // Alternate which goes first so neither always gets the warmer page cache.
      for (const t of r % 2 === 0 ? [gateway, raw] : [raw, gateway]) {
        const res = await round(t, agent, r * 1000, digests);
        results[t.name].push(res);
        console.log(
          `  round ${r + 1} ${t.name.padEnd(7)} ${fmt(res.mbps).padStart(6)} MB/s  server ${fmt(res.serverCpuPerGB, 2)} CPU-s/GB  client ${fmt(res.clientCpuPerGB, 2)} CPU-s/GB  peak RSS ${mib(res.peakRss)} MiB  machine ${(res.machineBusy * 100).toFixed(0)}% busy`,
        );
        if (res.threads) console.log(`    by thread: ${res.threads}`);
        await rm(join(root, 'raw'), { recursive: true, force: true });
        await mkdir(join(root, 'raw'));
      }
    }
    const summary = (name: Target['name']) => ({
      mbps: median(results[name].map((x) => x.mbps)),
      cpu: median(results[name].map((x) => x.serverCpuPerGB)),
      client: median(results[name].map((x) => x.clientCpuPerGB)),
      peak: Math.max(...results[name].map((x) => x.peakRss)),
    });
    const g = summary('gateway');
    const b = summary('raw');
    const ratio = g.mbps / b.mbps;
    const rssMiB = g.peak / 1024 / 1024;
    console.log(`medians over ${ROUNDS} rounds:`);
    console.log(`  gateway ${fmt(g.mbps).padStart(6)} MB/s  server ${fmt(g.cpu, 2)} CPU-s/GB  client ${fmt(g.client, 2)} CPU-s/GB  peak RSS ${mib(g.peak)} MiB`);
    console.log(`  raw     ${fmt(b.mbps).padStart(6)} MB/s  server ${fmt(b.cpu, 2)} CPU-s/GB  client ${fmt(b.client, 2)} CPU-s/GB  peak RSS ${mib(b.peak)} MiB`);
    console.log(`ratio gateway/raw ${ratio.toFixed(2)}× (target ≥ ${RATIO_TARGET}×: ${ratio >= RATIO_TARGET ? 'met' : 'MISSED'})`);
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
