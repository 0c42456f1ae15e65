// GeneratorMonitor: is the load generator itself the bottleneck? It samples this
// process's CPU (process.cpuUsage, % of one core), RSS and event-loop delay
// (perf_hooks.monitorEventLoopDelay). A run is flagged `saturated` when CPU stays above
// the limit for most samples or the loop lag p99 is above its limit: figures from such
// a run measure the generator as much as the target.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';
import type { GeneratorHealth } from '../result.js';

export interface GeneratorMonitorOptions {
  /** @default 1000 */
  intervalMs?: number;
  /** CPU % of one core regarded as saturated. @default 90 */
  cpuLimitPercent?: number;
  /** Fraction of samples above the CPU limit that flags saturation. @default 0.5 */
  cpuSaturatedFraction?: number;
  /** Event-loop delay p99 (ms) regarded as saturated. @default 100 */
  lagLimitMs?: number;
}

export class GeneratorMonitor {
  private readonly options: Required<GeneratorMonitorOptions>;
  private readonly cpuSamples: number[] = [];
  private rssMax = 0;
  private loop: IntervalHistogram | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  constructor(options: GeneratorMonitorOptions = {}) {
    this.options = { intervalMs: 1000, cpuLimitPercent: 90, cpuSaturatedFraction: 0.5, lagLimitMs: 100, ...options };
  }

  start(): this {
    if (this.timer) return this;
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();
    this.lastCpu = process.cpuUsage();
    this.lastAt = performance.now();
    this.timer = setInterval(() => this.sample(), this.options.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Take one sample now (the timer does this every interval). */
  sample(): void {
    const now = performance.now();
    const elapsedUs = (now - this.lastAt) * 1000;
    const cpu = process.cpuUsage(this.lastCpu);
    if (elapsedUs > 0) this.cpuSamples.push((100 * (cpu.user + cpu.system)) / elapsedUs);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    this.rssMax = Math.max(this.rssMax, process.memoryUsage.rss());
  }

  /** Stop and judge. */
  stop(): GeneratorHealth {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.sample();
    }
    const lagP99Ms = this.loop && this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : 0;
    this.loop?.disable();
    return judgeGenerator(this.cpuSamples, this.rssMax, lagP99Ms, this.options);
  }
}

/** Pure verdict from CPU samples (% of one core), max RSS and loop-lag p99. */
export function judgeGenerator(
  cpuSamples: readonly number[],
  rssBytesMax: number,
  eventLoopLagP99Ms: number,
  options: Pick<GeneratorMonitorOptions, 'cpuLimitPercent' | 'cpuSaturatedFraction' | 'lagLimitMs'> = {},
): GeneratorHealth {
  const cpuLimit = options.cpuLimitPercent ?? 90;
  const fraction = options.cpuSaturatedFraction ?? 0.5;
  const lagLimit = options.lagLimitMs ?? 100;
  const n = cpuSamples.length;
  const hot = cpuSamples.filter((c) => c > cpuLimit).length;
  const reasons: string[] = [];
  if (n >= 2 && hot / n > fraction) {
    reasons.push(`CPU above ${cpuLimit}% of one core in ${hot} of ${n} samples`);
  }
  if (eventLoopLagP99Ms > lagLimit) {
    reasons.push(`event-loop lag p99 ${eventLoopLagP99Ms.toFixed(1)} ms > ${lagLimit} ms`);
  }
  const round1 = (x: number) => Math.round(x * 10) / 10;
  return {
    cpuPercentMax: round1(n ? Math.max(...cpuSamples) : 0),
    cpuPercentAvg: round1(n ? cpuSamples.reduce((a, b) => a + b, 0) / n : 0),
    rssBytesMax: rssBytesMax,
    eventLoopLagP99Ms: round1(eventLoopLagP99Ms),
    saturated: reasons.length > 0,
    ...(reasons.length ? { reason: reasons.join('; ') } : {}),
  };
}
