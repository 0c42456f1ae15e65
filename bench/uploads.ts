// Upload benchmark: the gateway (child process, built JS, local blob backend) against a
// raw stream-to-disk node http server (child process), measured in the same run, and a
// third server, raw + sha256, as the reference for what hashing every byte costs.
//
//   npx tsx bench/uploads.ts            # 100 concurrent × 10 MiB, 5 rounds each
//   BENCH_UPLOADS=50 BENCH_SIZE_MB=5 BENCH_ROUNDS=3 npx tsx bench/uploads.ts
//   CONDUIT_BLOB_HASH_THREADS=0 npx tsx bench/uploads.ts   # gateway hashing inline (the environment is passed on)
//
// Fairness:
// - The gateway runs as production does, `npm start`'s command line (node with the
//   gateway's flags, src/gateway/node-flags.ts, and dist/gateway/cli.js: no tsx loader in
//   its memory or CPU). When dist/ is older than src/ the bench runs `npm run build`
//   first (BENCH_NO_BUILD=1 skips that and uses dist/ as it is).
// - Every server receives the same multipart bodies from the same client code (same data
//   generator, same form-data framing, same undici agent), so the client's CPU cost is
//   identical; it is printed per round to show it.
// - The raw baseline writes each request body, unparsed, to its own file with the same
//   durability as the blob store (fs write stream with flush: fsync before close); it
//   does no parsing, hashing, renaming or manifest. raw+sha256 is the same server with
//   sha256 of every byte inline. The gateway does all of it (streaming multipart parse,
//   sha256 of every byte while it streams, temp file + fsync, dedup link, per-blob
//   record + fsync, directory fsync, a durable manifest line) before it answers 201;
//   the bench checks every returned sha256 and size against digests computed before the
//   round.
// - Rounds rotate which server goes first. The machine is shared and its disk state
//   drifts between rounds (page-cache writeback), so besides the ratio of the medians
//   the bench prints the median of the per-round ratios (servers measured back to back).
//
// Prints per round: MB/s (MB = 10^6 bytes), server CPU seconds per GB (utime + stime
// from /proc), client CPU seconds per GB, peak RSS of each server (/proc/PID/status
// VmRSS every 20 ms), how busy the machine was; then medians, the ratios (target ≥ 0.8×)
// and the gateway's peak RSS over all rounds (target ≤ 200 MiB). Every round has a
// deadline. BENCH_THREADS=1 adds CPU and context switches per thread.
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import FormData from 'form-data';
import { Agent, request } from 'undici';
import { cpuSeconds, machineJiffies, median, sampleRss, stopChild, threadStats } from './lib/proc.js';
import { ensureBuilt, startGateway, startRaw, type Target, type TargetName } from './uploads/targets.js';

const N = Number(process.env.BENCH_UPLOADS ?? 100);
const SIZE = Math.round(Number(process.env.BENCH_SIZE_MB ?? 10) * 1024 * 1024);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const WARMUP_SIZE = 1024 * 1024;
const ROUND_TIMEOUT_MS = Number(process.env.BENCH_ROUND_TIMEOUT_S ?? 120) * 1000;
const THREADS = process.env.BENCH_THREADS === '1';
const RSS_TARGET_MIB = 200;
const RATIO_TARGET = 0.8;

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
        form.append('file', body(size, seedBase + i), {
          filename: `f${i}.bin`,
          contentType: 'application/octet-stream',
          knownLength: size,
        });
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
          if (file?.sha256 !== digests[i] || file.size !== size)
            throw new Error(`gateway: upload ${i} stored ${JSON.stringify(file)}, expected sha256 ${digests[i]}`);
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
      parts.push(
        `${name} ${((now.cpu - before.cpu) / gb).toFixed(2)} CPU-s/GB ${Math.round((now.vcsw - before.vcsw) / gb)} vcsw/GB`,
      );
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

const fmt = (x: number, d = 1) => x.toFixed(d);
const mib = (bytes: number) => fmt(bytes / 1024 / 1024);

const NAMES: readonly TargetName[] = ['gateway', 'raw', 'raw+sha256'];
const RAW_DIRS: Record<TargetName, string> = { gateway: 'blobs', raw: 'raw', 'raw+sha256': 'raw-sha256' };

/** Empty the raw servers' folders (their files are not kept between rounds). */
async function clearRawDirs(root: string): Promise<void> {
  for (const name of ['raw', 'raw+sha256'] as const) {
    await rm(join(root, RAW_DIRS[name]), { recursive: true, force: true });
    await mkdir(join(root, RAW_DIRS[name]));
  }
}

function printRound(r: number, t: Target, res: RoundResult): void {
  console.log(
    `  round ${r + 1} ${t.name.padEnd(10)} ${fmt(res.mbps).padStart(6)} MB/s  server ${fmt(res.serverCpuPerGB, 2)} CPU-s/GB  client ${fmt(res.clientCpuPerGB, 2)} CPU-s/GB  peak RSS ${mib(res.peakRss)} MiB  machine ${(res.machineBusy * 100).toFixed(0)}% busy`,
  );
  if (res.threads) console.log(`    by thread: ${res.threads}`);
}

async function main(): Promise<number> {
  await ensureBuilt();
  const root = await mkdtemp(join(tmpdir(), 'conduit-bench-uploads-'));
  await writeFile(join(root, 'conduit.yaml'), 'tenants: {}\n');
  await clearRawDirs(root);
  const agent = new Agent({ connections: N, keepAliveTimeout: 1000 });
  const targets: Target[] = [];
  try {
    const gateway = await startGateway(root, N, SIZE);
    targets.push(gateway);
    targets.push(await startRaw(join(root, RAW_DIRS.raw), false));
    targets.push(await startRaw(join(root, RAW_DIRS['raw+sha256']), true));
    const idle = sampleRss(gateway.pid);
    await new Promise((r) => setTimeout(r, 100));
    const idleRss = idle();
    console.log(
      `uploads bench: ${N} concurrent × ${mib(SIZE)} MiB, ${ROUNDS} rounds each; gateway = ${gateway.command} (pid ${gateway.pid}, idle RSS ${mib(idleRss)} MiB); CONDUIT_BLOB_HASH_THREADS=${process.env.CONDUIT_BLOB_HASH_THREADS ?? '(unset)'}`,
    );
    // Warm-up, not measured: the first requests pay for JIT compilation and lazy setup
    // in every server; a long-running service does not.
    for (const t of targets) await round(t, agent, 9_000_000, [], WARMUP_SIZE);
    await clearRawDirs(root);
    const results: Record<TargetName, RoundResult[]> = { gateway: [], raw: [], 'raw+sha256': [] };
    for (let r = 0; r < ROUNDS; r++) {
      const digests = Array.from({ length: N }, (_, i) => sha256Of(SIZE, r * 1000 + i));
      // Rotate which goes first so none always gets the warmer (or the dirtier) page cache.
      const order = targets.map((_, i) => targets[(i + r) % targets.length]);
      for (const t of order) {
        const res = await round(t, agent, r * 1000, digests);
        results[t.name].push(res);
        printRound(r, t, res);
        await clearRawDirs(root);
      }
    }
    const summary = (name: TargetName) => ({
      mbps: median(results[name].map((x) => x.mbps)),
      cpu: median(results[name].map((x) => x.serverCpuPerGB)),
      client: median(results[name].map((x) => x.clientCpuPerGB)),
      peak: Math.max(...results[name].map((x) => x.peakRss)),
    });
    const s = Object.fromEntries(NAMES.map((n) => [n, summary(n)])) as Record<TargetName, ReturnType<typeof summary>>;
    const perRound = (a: TargetName, b: TargetName) => median(results[a].map((x, i) => x.mbps / results[b][i].mbps));
    console.log(`medians over ${ROUNDS} rounds:`);
    for (const n of NAMES) {
      const x = s[n];
      console.log(
        `  ${n.padEnd(10)} ${fmt(x.mbps).padStart(6)} MB/s  server ${fmt(x.cpu, 2)} CPU-s/GB  client ${fmt(x.client, 2)} CPU-s/GB  peak RSS ${mib(x.peak)} MiB`,
      );
    }
    const ratio = perRound('gateway', 'raw');
    const rssMiB = s.gateway.peak / 1024 / 1024;
    console.log(`ratios (median of per-round ratios; ratio of medians in brackets):`);
    console.log(
      `  gateway/raw           ${ratio.toFixed(2)}× [${(s.gateway.mbps / s.raw.mbps).toFixed(2)}×]  (target ≥ ${RATIO_TARGET}×: ${ratio >= RATIO_TARGET ? 'met' : 'MISSED'})`,
    );
    console.log(
      `  raw+sha256/raw        ${perRound('raw+sha256', 'raw').toFixed(2)}× [${(s['raw+sha256'].mbps / s.raw.mbps).toFixed(2)}×]  (what hashing every byte costs on this machine)`,
    );
    console.log(
      `  gateway/raw+sha256    ${perRound('gateway', 'raw+sha256').toFixed(2)}× [${(s.gateway.mbps / s['raw+sha256'].mbps).toFixed(2)}×]`,
    );
    console.log(
      `gateway peak RSS ${fmt(rssMiB)} MiB (target ≤ ${RSS_TARGET_MIB} MiB: ${rssMiB <= RSS_TARGET_MIB ? 'met' : 'MISSED'})`,
    );
    return 0;
  } finally {
    await agent.destroy();
    for (const t of targets) await stopChild(t.child);
    await rm(root, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err);
  return 1;
});
