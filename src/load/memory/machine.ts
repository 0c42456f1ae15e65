// The machine view beside generator health: the CPU of the target process (from
// /proc/PID/stat, when its pid is known), of the generator process (all its threads),
// of the rest of the machine and of the kernel's interrupt handling, in cores, so a
// report can say "machine CPU-bound: target 1.0, generator 0.9 of 2 cores" instead of
// only "generator saturated". Linux only; elsewhere the view reports what it can (the
// generator's own CPU) and says so.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { MachineView } from '../result.js';

export interface MachineMonitorOptions {
  /** The target's pid (same machine), for its CPU. */
  pid?: number;
  /** Event loops of the generator (1 + worker threads): its limit in cores. @default 1 */
  generatorThreads?: number;
  /** @default 1000 */
  intervalMs?: number;
}

/** A share of a core above which a process (per event loop) or the machine counts as at its limit. */
const LIMIT = 0.9;

/** One reading of the CPU counters (seconds), at `at` (performance.now ms). */
export interface MachineReading {
  at: number;
  generatorS: number;
  targetS: number | undefined;
  processesS: number | undefined;
  irqS: number | undefined;
}

/** utime + stime of `pid` in seconds (USER_HZ 100), or undefined. */
async function processCpuS(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The machine's process time (user + nice + system) and interrupt time (irq + softirq), in seconds. */
async function machineCpuS(): Promise<{ processesS?: number; irqS?: number }> {
  try {
    const v = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { processesS: (v[0] + v[1] + v[2]) / 100, irqS: (v[5] + v[6]) / 100 };
  } catch {
    return {};
  }
}

async function read(pid: number | undefined): Promise<MachineReading> {
  const [target, machine] = await Promise.all([pid ? processCpuS(pid) : undefined, machineCpuS()]);
  const own = process.cpuUsage();
  return {
    at: performance.now(),
    generatorS: (own.user + own.system) / 1e6,
    targetS: target,
    ...machine,
  } as MachineReading;
}

const c2 = (n: number) => n.toFixed(2);

/** Judge a window from its first and last reading (and the busiest interval seen). */
export function judgeMachine(
  first: MachineReading,
  last: MachineReading,
  busiestCores: number,
  cores: number,
  generatorThreads = 1,
): MachineView {
  const s = Math.max(1e-3, (last.at - first.at) / 1000);
  const generatorCores = (last.generatorS - first.generatorS) / s;
  const targetCores =
    first.targetS !== undefined && last.targetS !== undefined ? (last.targetS - first.targetS) / s : undefined;
  const processes =
    first.processesS !== undefined && last.processesS !== undefined
      ? (last.processesS - first.processesS) / s
      : undefined;
  const irqCores = first.irqS !== undefined && last.irqS !== undefined ? (last.irqS - first.irqS) / s : 0;
  const otherCores = processes === undefined ? 0 : Math.max(0, processes - generatorCores - (targetCores ?? 0));
  const total = (processes ?? generatorCores + (targetCores ?? 0)) + irqCores;
  const parts = [
    ...(targetCores !== undefined ? [`target ${c2(targetCores)}`] : []),
    `generator ${c2(generatorCores)}`,
    ...(processes !== undefined ? [`other processes ${c2(otherCores)}`, `kernel interrupts ${c2(irqCores)}`] : []),
  ].join(', ');
  let limit: MachineView['limit'] = 'none';
  let summary: string;
  if (processes !== undefined && total >= LIMIT * cores) {
    limit = 'machine';
    summary = `machine CPU-bound (${c2(total)} of ${cores} cores): ${parts}`;
  } else if (targetCores !== undefined && targetCores >= LIMIT) {
    limit = 'target';
    summary = `target at a full core or more: ${parts} of ${cores} cores`;
  } else if (generatorCores >= LIMIT * generatorThreads) {
    limit = 'generator';
    summary = `generator at its limit (${generatorThreads} event loop${generatorThreads > 1 ? 's' : ''}): ${parts} of ${cores} cores`;
  } else {
    summary = `no process at its limit: ${parts} of ${cores} cores${targetCores === undefined ? ' (target CPU unknown: no pid)' : ''}`;
  }
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    cores,
    generatorCores: round(generatorCores),
    ...(targetCores !== undefined ? { targetCores: round(targetCores) } : {}),
    otherCores: round(otherCores),
    irqCores: round(irqCores),
    busiestCores: round(busiestCores),
    limit,
    summary,
  };
}

export class MachineMonitor {
  private readonly options: Required<Omit<MachineMonitorOptions, 'pid'>> & { pid?: number };
  private readonly cores = availableParallelism();
  private first: Promise<MachineReading> | undefined;
  private last: MachineReading | undefined;
  private busiest = 0;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();

  constructor(options: MachineMonitorOptions = {}) {
    this.options = { generatorThreads: 1, intervalMs: 1000, ...options };
  }

  start(): this {
    if (this.timer) return this;
    this.first = read(this.options.pid).then((r) => (this.last = r));
    this.timer = setInterval(() => (this.sampling = this.sample()), this.options.intervalMs);
    this.timer.unref();
    return this;
  }

  private async sample(): Promise<void> {
    const prev = this.last;
    const now = await read(this.options.pid);
    // A target that has exited keeps the CPU it used (its /proc entry is gone).
    if (now.targetS === undefined && prev?.targetS !== undefined) now.targetS = prev.targetS;
    if (prev && prev.processesS !== undefined && now.processesS !== undefined) {
      const s = (now.at - prev.at) / 1000;
      // /proc counts in 10 ms ticks: only intervals of half the sampling period or more are judged.
      if (s >= this.options.intervalMs / 2000)
        this.busiest = Math.max(this.busiest, (now.processesS - prev.processesS + (now.irqS! - prev.irqS!)) / s);
    }
    this.last = now;
  }

  async stop(): Promise<MachineView> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const first = await (this.first ?? read(this.options.pid));
    await this.sampling;
    await this.sample();
    return judgeMachine(first, this.last!, this.busiest, this.cores, this.options.generatorThreads);
  }
}
