// Measuring a server process from the outside (Linux /proc), and driving benchmark
// child processes: what every bench that runs its targets as children shares.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';

/** Median (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Sample VmRSS of `pid` every 20 ms until the returned function is called; it returns the peak in bytes. */
export function sampleRss(pid: number): () => number {
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

/** utime + stime of `pid` in seconds (all its threads). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

/**
 * Per thread name: CPU seconds and voluntary context switches. The main thread is
 * "main"; libuv's pool, V8's helpers and worker threads all show as "node" on Node 20.
 */
export async function threadStats(pid: number): Promise<Map<string, { cpu: number; vcsw: number }>> {
  const out = new Map<string, { cpu: number; vcsw: number }>();
  const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const tid of tids) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    const status = await readFile(`/proc/${pid}/task/${tid}/status`, 'utf8').catch(() => '');
    if (!stat) continue;
    const name =
      tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[\d-]+$/, '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const prev = out.get(name) ?? { cpu: 0, vcsw: 0 };
    prev.cpu += (Number(fields[11]) + Number(fields[12])) / 100;
    prev.vcsw += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
    out.set(name, prev);
  }
  return out;
}

/** CPU seconds (utime + stime) of each thread of `pid`, by thread id, with the thread's name. */
export async function threadCpu(pid: number): Promise<Map<string, { name: string; cpu: number }>> {
  const out = new Map<string, { name: string; cpu: number }>();
  const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const tid of tids) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '');
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(tid, {
      name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      cpu: (Number(fields[11]) + Number(fields[12])) / 100,
    });
  }
  return out;
}

/** Busy and total jiffies of the whole machine (all cores) from /proc/stat. */
export async function machineJiffies(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8').catch(() => 'cpu 0 0 0 0')).split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** The first IPC message of `type` from `child`, or a rejection after `timeoutMs`. */
export async function waitMessage<T extends { type: string }>(
  child: ChildProcess,
  type: string,
  timeoutMs = 30_000,
): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs);
  for (;;) {
    const [msg] = (await once(child, 'message', { signal })) as [T];
    if (msg?.type === type) return msg;
  }
}

/** SIGTERM `child` (SIGKILL after 10 s) and wait for it to exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * The whole machine's CPU from /proc/stat, in seconds: time of processes (user, nice,
 * system) and of interrupt handling (irq, softirq — the kernel's loopback delivery
 * lands here, charged to no process).
 */
export async function machineCpu(): Promise<{ processS: number; irqS: number }> {
  const line = (await readFile('/proc/stat', 'utf8').catch(() => 'cpu 0 0 0 0 0 0 0')).split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  return { processS: ((v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0)) / 100, irqS: ((v[5] ?? 0) + (v[6] ?? 0)) / 100 };
}
