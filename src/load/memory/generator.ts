// GeneratorMonitor: is the load generator itself the bottleneck, and does it leak? It
// samples this process's CPU (process.cpuUsage, % of one core), event-loop delay
// (perf_hooks.monitorEventLoopDelay) and memory — RSS, heap used and committed, external
// memory and the heap after the last full GC — into a bounded series. A run is flagged `saturated` when CPU stays
// above the limit for most samples or the loop lag p99 is above its limit: figures from
// such a run measure the generator as much as the target. Its memory gets the same trend
// verdict as the target's (analyzeMemory, after the same warm-up): a generator that
// grows cannot be trusted to judge a target that does.
//
// Everything it keeps is bounded: CPU as running totals, memory in a SampleBuffer.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';
import type { GeneratorHealth, MemoryReport, MemorySample } from '../result.js';
import type { TrendOptions } from '../verdict/trend.js';
import { analyzeMemory } from './report.js';
import { PostGcHeap } from './post-gc-heap.js';
import { SampleBuffer } from './sample-buffer.js';

export interface GeneratorMonitorOptions {
  /** @default 1000 */
  intervalMs?: number;
  /** CPU % of one core regarded as saturated. @default 90 */
  cpuLimitPercent?: number;
  /** Fraction of samples above the CPU limit that flags saturation. @default 0.5 */
  cpuSaturatedFraction?: number;
  /** Event-loop delay p99 (ms) regarded as saturated. @default 100 */
  lagLimitMs?: number;
  /** performance.now() of the scenario start; memory sample `t` counts from it. @default start() time */
  origin?: number;
  /** Options of the memory trend verdict (the scenario's, so both sides are judged alike). */
  trend?: TrendOptions;
  /** Most memory samples kept; longer runs are thinned evenly. @default 4000 */
  maxSamples?: number;
}

/** CPU samples as running totals (% of one core). */
export interface CpuTally {
  count: number;
  /** Samples above the CPU limit. */
  hot: number;
  max: number;
  sum: number;
}

export class GeneratorMonitor {
  private readonly options: Required<Omit<GeneratorMonitorOptions, 'origin' | 'trend' | 'maxSamples'>> &
    Pick<GeneratorMonitorOptions, 'origin' | 'trend'>;
  private readonly cpu: CpuTally = { count: 0, hot: 0, max: 0, sum: 0 };
  private readonly memory: SampleBuffer;
  private readonly postGc = new PostGcHeap();
  private rssMax = 0;
  private origin = 0;
  private loop: IntervalHistogram | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  constructor(options: GeneratorMonitorOptions = {}) {
    this.options = { intervalMs: 1000, cpuLimitPercent: 90, cpuSaturatedFraction: 0.5, lagLimitMs: 100, ...options };
    this.memory = new SampleBuffer(options.maxSamples);
  }

  start(): this {
    if (this.timer) return this;
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();
    this.postGc.start();
    this.lastCpu = process.cpuUsage();
    this.lastAt = performance.now();
    this.origin = this.options.origin ?? this.lastAt;
    this.timer = setInterval(() => this.sample(), this.options.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Take one sample now (the timer does this every interval). */
  sample(): void {
    const now = performance.now();
    const elapsedUs = (now - this.lastAt) * 1000;
    const cpu = process.cpuUsage(this.lastCpu);
    if (elapsedUs > 0) tallyCpu(this.cpu, (100 * (cpu.user + cpu.system)) / elapsedUs, this.options.cpuLimitPercent);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
    this.rssMax = Math.max(this.rssMax, rss);
    const sample: MemorySample = {
      t: Math.round(now - this.origin) / 1000,
      rssBytes: rss,
      heapUsedBytes: heapUsed,
      heapTotalBytes: heapTotal,
      externalBytes: external,
      arrayBuffersBytes: arrayBuffers,
    };
    const postGc = this.postGc.read();
    if (postGc !== undefined) sample.postGcHeapBytes = postGc;
    this.memory.push(sample);
  }

  /** The generator's memory samples so far (a copy). */
  get samples(): MemorySample[] {
    return this.memory.samples();
  }

  /** Stop and judge; memory is judged over the samples up to `untilS` (the end of the load). */
  stop(untilS = Infinity): GeneratorHealth {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.sample();
    }
    this.postGc.stop();
    const lagP99Ms = this.loop && this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : 0;
    this.loop?.disable();
    const samples = this.memory.samples();
    const memory =
      samples.length > 0
        ? analyzeMemory(samples, 'proc', this.options.trend, { untilS, subject: 'generator' })
        : undefined;
    return judgeGenerator(this.cpu, this.rssMax, lagP99Ms, this.options, memory);
  }
}

/** Add one CPU sample to a tally. */
export function tallyCpu(tally: CpuTally, percent: number, limitPercent = 90): void {
  tally.count++;
  if (percent > limitPercent) tally.hot++;
  if (percent > tally.max) tally.max = percent;
  tally.sum += percent;
}

/** Pure verdict from CPU samples (% of one core, or their tally), max RSS, loop-lag p99 and the memory report. */
export function judgeGenerator(
  cpuSamples: readonly number[] | CpuTally,
  rssBytesMax: number,
  eventLoopLagP99Ms: number,
  options: Pick<GeneratorMonitorOptions, 'cpuLimitPercent' | 'cpuSaturatedFraction' | 'lagLimitMs'> = {},
  memory?: MemoryReport,
): GeneratorHealth {
  const cpuLimit = options.cpuLimitPercent ?? 90;
  const fraction = options.cpuSaturatedFraction ?? 0.5;
  const lagLimit = options.lagLimitMs ?? 100;
  let cpu: CpuTally;
  if (Array.isArray(cpuSamples)) {
    cpu = { count: 0, hot: 0, max: 0, sum: 0 };
    for (const c of cpuSamples as readonly number[]) tallyCpu(cpu, c, cpuLimit);
  } else {
    cpu = cpuSamples as CpuTally;
  }
  const n = cpu.count;
  const reasons: string[] = [];
  if (n >= 2 && cpu.hot / n > fraction) {
    reasons.push(`CPU above ${cpuLimit}% of one core in ${cpu.hot} of ${n} samples`);
  }
  if (eventLoopLagP99Ms > lagLimit) {
    reasons.push(`event-loop lag p99 ${eventLoopLagP99Ms.toFixed(1)} ms > ${lagLimit} ms`);
  }
  const round1 = (x: number) => Math.round(x * 10) / 10;
  return {
    cpuPercentMax: round1(n ? cpu.max : 0),
    cpuPercentAvg: round1(n ? cpu.sum / n : 0),
    rssBytesMax: rssBytesMax,
    eventLoopLagP99Ms: round1(eventLoopLagP99Ms),
    saturated: reasons.length > 0,
    ...(reasons.length ? { reason: reasons.join('; ') } : {}),
    ...(memory ? { memory } : {}),
  };
}
