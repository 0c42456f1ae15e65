// wrk (https://github.com/wg/wrk, Debian package `wrk`) as a bench's load generator: a
// C program with its own event loop per thread, so a Node server is measured instead of
// a Node client. runWrk() writes the request into a Lua script, runs wrk against one
// URL and, while it runs, samples the CPU of wrk's threads, of the server process and of
// the whole machine from /proc — so a result says whether the generator was the limit.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { delimiter, join } from 'node:path';
import { machineJiffies, threadCpu } from './proc.js';

/** wrk's path (BENCH_WRK, else the first `wrk` on PATH), or undefined when there is none. */
export function findWrk(): string | undefined {
  const candidates = process.env.BENCH_WRK
    ? [process.env.BENCH_WRK]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, 'wrk'));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export interface WrkRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

const lua = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;

// done() runs once after the run; it prints one line the bench parses.
const DONE = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"non2xx":%d,"socketErrors":%d,"timeouts":%d,"p50Us":%d,"p99Us":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;

/** Write the Lua script for `req` into `dir`; returns its path. */
export async function writeScript(dir: string, name: string, req: WrkRequest): Promise<string> {
  const lines = [`wrk.method = ${lua(req.method)}`, `wrk.path = ${lua(req.path)}`];
  for (const [k, v] of Object.entries(req.headers ?? {})) lines.push(`wrk.headers[${lua(k)}] = ${lua(v)}`);
  if (req.body !== undefined) lines.push(`wrk.body = ${lua(req.body)}`);
  const file = join(dir, `${name}.lua`);
  await writeFile(file, `${lines.join('\n')}\n${DONE}`);
  return file;
}

export interface WrkOptions {
  wrk: string;
  /** The server's base URL (the path is the script's). */
  url: string;
  script: string;
  threads: number;
  connections: number;
  durationS: number;
  /** The server process whose CPU is sampled alongside. */
  serverPid: number;
}

export interface CpuUse {
  /** All threads, in cores (1.0 = one core busy the whole time). */
  total: number;
  /** The busiest thread, in cores: ~1.0 means that thread was the limit. */
  busiestThread: number;
}

export interface WrkResult {
  requests: number;
  rps: number;
  non2xx: number;
  socketErrors: number;
  p50Ms: number;
  p99Ms: number;
  wrkCpu: CpuUse;
  serverCpu: CpuUse & { main: number };
  /** Cores busy on the whole machine (every process), and how many there are. */
  machineBusyCores: number;
  machineCores: number;
}

interface Sample {
  t: number;
  wrk: Map<string, { cpu: number }>;
  server: Map<string, { cpu: number }>;
  machine: { busy: number; total: number };
}

function cpuUse(a: Map<string, { cpu: number }>, b: Map<string, { cpu: number }>, seconds: number): CpuUse {
  let total = 0;
  let busiest = 0;
  for (const [tid, now] of b) {
    const d = now.cpu - (a.get(tid)?.cpu ?? 0);
    total += d;
    busiest = Math.max(busiest, d);
  }
  return { total: total / seconds, busiestThread: busiest / seconds };
}

const SAMPLE_MS = 100;
/** The first sample is taken this long after start: connections are up by then. */
const SETTLE_MS = 300;

/** Run wrk once. Rejects when wrk fails or prints no summary. */
export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const args = [
    '-t',
    String(o.threads),
    '-c',
    String(o.connections),
    '-d',
    `${o.durationS}s`,
    '--timeout',
    '10s',
    '-s',
    o.script,
    o.url,
  ];
  const child = spawn(o.wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  let running = true;
  void exited.finally(() => (running = false)).catch(() => {});
  const sample = async (): Promise<Sample> => ({
    t: performance.now(),
    wrk: await threadCpu(child.pid!),
    server: await threadCpu(o.serverPid),
    machine: await machineJiffies(),
  });
  const started = performance.now();
  let first: Sample | undefined;
  let last: Sample | undefined;
  // Sample until wrk exits; a sample that raced its exit (no threads left) is dropped.
  const deadline = started + (o.durationS + 30) * 1000;
  while (running && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
    if (!running) break;
    const s = await sample();
    if (s.wrk.size === 0 || !running) break;
    if (!first) {
      if (s.t - started >= SETTLE_MS) first = s;
    } else last = s;
  }
  if (running) child.kill('SIGKILL');
  const code = await exited;
  const json = /^WRK_JSON (.*)$/m.exec(out)?.[1];
  if (code !== 0 || !json) throw new Error(`wrk exited ${code}: ${err.trim() || out.trim()}`);
  const r = JSON.parse(json) as {
    requests: number;
    durationUs: number;
    non2xx: number;
    socketErrors: number;
    timeouts: number;
    p50Us: number;
    p99Us: number;
  };
  if (!first || !last) throw new Error('wrk ran too briefly to sample its CPU');
  const seconds = (last.t - first.t) / 1000;
  const machineCores = cpus().length;
  const serverUse = cpuUse(first.server, last.server, seconds);
  const mainTid = String(o.serverPid);
  return {
    requests: r.requests,
    rps: r.requests / (r.durationUs / 1e6),
    non2xx: r.non2xx,
    socketErrors: r.socketErrors + r.timeouts,
    p50Ms: r.p50Us / 1000,
    p99Ms: r.p99Us / 1000,
    wrkCpu: cpuUse(first.wrk, last.wrk, seconds),
    serverCpu: {
      ...serverUse,
      main: ((last.server.get(mainTid)?.cpu ?? 0) - (first.server.get(mainTid)?.cpu ?? 0)) / seconds,
    },
    machineBusyCores:
      ((last.machine.busy - first.machine.busy) / Math.max(1, last.machine.total - first.machine.total)) * machineCores,
    machineCores,
  };
}
