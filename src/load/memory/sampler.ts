// MemorySampler: the TARGET's memory at 1 Hz. RSS comes from /proc/PID/status when a
// pid is known; heap figures and, without a pid, RSS come from a metrics URL answering
// JSON with `process.rssBytes`, `process.heapUsedBytes` and `process.postGcHeapBytes`
// (Conduit's GET /v1/metrics).
//
// Post-GC heap readings, the series a leak verdict trusts most, come from one of two
// sources (`heapSource`):
// - `inspector`: a HeapProbe attached to the target's `--inspect` port forces a full GC
//   every `gcEveryS` seconds and reads the heap used right after it — a steady cadence
//   for ANY Node.js target. Each reading lands on the sample of the tick that took it.
// - `memwatch`: the metrics URL's `postGcHeapBytes`, refreshed only when the target runs
//   a full GC of its own. A reading is attached to a sample only when it is new
//   (`process.postGcReadings` changed, or, for targets without that counter, the value
//   changed), so a staircase of three GCs is three readings, not sixty.
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import type { HeapSourceInfo, MemoryReport, MemorySample } from '../result.js';
import type { HeapProbe } from './heap-probe.js';
import { median } from '../internal/stats.js';
import { readProcRss } from './proc.js';
import { SampleBuffer } from './sample-buffer.js';

export interface MemorySamplerOptions {
  pid?: number;
  /** JSON endpoint with a `process` object (e.g. http://127.0.0.1:9087/v1/metrics). */
  metricsUrl?: string;
  /** Extra headers for the metrics URL (e.g. authorization). */
  headers?: Record<string, string>;
  /** @default 1000 */
  intervalMs?: number;
  /** Per-request timeout of the metrics URL. @default 2000 */
  timeoutMs?: number;
  /** performance.now() of the scenario start; sample `t` counts from it. @default construction time */
  origin?: number;
  /** Forced post-GC readings through the target's inspector (see the module header). */
  heapProbe?: HeapProbe;
  /** Seconds between forced readings (0: none). @default 2 */
  gcEveryS?: number;
  /** Why no probe is attached although one was asked for (shown in the report). */
  heapNote?: string;
  /** Most samples kept; longer runs are thinned evenly (see sample-buffer.ts). @default 4000 */
  maxSamples?: number;
}

interface ProcessFigures {
  rssBytes?: number;
  heapUsedBytes?: number;
  postGcHeapBytes?: number;
  postGcReadings?: number;
}

export class MemorySampler {
  readonly source: MemoryReport['source'];
  private readonly options: MemorySamplerOptions;
  private readonly origin: number;
  private readonly samples: SampleBuffer;
  private readonly gcEveryS: number;
  private readingsTaken = 0;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> | undefined;
  private failures = 0;
  private lastError: string | undefined;
  private lastProbeT = -Infinity;
  /** Why forced readings stopped (the inspector session closed), when they did. */
  private probeFailed: string | undefined;
  /** Forced readings that failed while the session stayed open (a timeout), and the last reason. */
  private probeMisses = 0;
  private probeMissWhy: string | undefined;
  private readonly gcMs: number[] = [];
  private lastReadingKey: string | undefined;

  constructor(options: MemorySamplerOptions) {
    this.options = options;
    this.origin = options.origin ?? performance.now();
    this.samples = new SampleBuffer(options.maxSamples);
    this.source = options.pid ? 'proc' : options.metricsUrl ? 'metrics-url' : 'none';
    this.gcEveryS = options.gcEveryS ?? 2;
  }

  start(): this {
    if (this.timer || this.source === 'none') return this;
    void this.sampleNow();
    this.timer = setInterval(() => {
      // A slow metrics endpoint or GC never stacks samples.
      if (!this.pending) void this.sampleNow();
    }, this.options.intervalMs ?? 1000);
    this.timer.unref();
    return this;
  }

  /** Stop sampling (after one last sample) and return the samples (every one, up to maxSamples). */
  async stop(): Promise<MemorySample[]> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.pending;
    if (this.source !== 'none') await this.sampleNow();
    return this.samples.samples();
  }

  /** The samples so far (a copy). */
  get collected(): readonly MemorySample[] {
    return this.samples.samples();
  }

  /** Samples that failed (process gone, metrics URL down) and the last reason. */
  get errors(): { count: number; last?: string } {
    return { count: this.failures, last: this.lastError };
  }

  /** Where the post-GC heap readings came from, how many, and what forcing them cost. */
  get heapSource(): HeapSourceInfo {
    const readings = this.readingsTaken;
    const probe = this.options.heapProbe;
    if (probe && this.gcEveryS > 0 && this.gcMs.length > 0) {
      return {
        source: 'inspector',
        everyS: this.gcEveryS,
        readings,
        gcMsMedian: round(median(this.gcMs)),
        gcMsMax: round(Math.max(...this.gcMs)),
        ...(this.probeNote ? { note: this.probeNote } : {}),
      };
    }
    const why = this.probeNote ?? this.options.heapNote;
    if (readings > 0) return { source: 'memwatch', readings, ...(why ? { note: why } : {}) };
    return { source: 'none', readings: 0, ...(why ? { note: why } : {}) };
  }

  /** Take one sample now (also used by tests). */
  sampleNow(): Promise<void> {
    const run = this.takeSample().finally(() => {
      if (this.pending === run) this.pending = undefined;
    });
    this.pending = run;
    return run;
  }

  private async takeSample(): Promise<void> {
    const t = (performance.now() - this.origin) / 1000;
    const [procRss, figures] = await Promise.all([
      this.options.pid ? readProcRss(this.options.pid) : Promise.resolve(undefined),
      this.options.metricsUrl ? this.fetchFigures(this.options.metricsUrl) : Promise.resolve(undefined),
    ]);
    // After RSS is read: a forced GC moves RSS (compaction, freed pages).
    const forced = await this.probeIfDue(t);
    const rssBytes = procRss ?? figures?.rssBytes;
    if (rssBytes === undefined) {
      this.failures++;
      this.lastError ??= this.options.pid ? `no /proc/${this.options.pid}/status` : 'no rss in metrics';
      return;
    }
    const sample: MemorySample = { t: Math.round(t * 1000) / 1000, rssBytes };
    if (figures?.heapUsedBytes !== undefined) sample.heapUsedBytes = figures.heapUsedBytes;
    const postGc = this.probing ? forced : this.newMemwatchReading(figures);
    if (postGc !== undefined) {
      sample.postGcHeapBytes = postGc;
      this.readingsTaken++;
    }
    this.samples.push(sample);
  }

  /**
   * True when forced readings are the post-GC source: a probe was attached. Its readings
   * are never mixed with memwatch's, even after the session closed (the series would
   * change meaning half way).
   */
  private get probing(): boolean {
    return Boolean(this.options.heapProbe) && this.gcEveryS > 0;
  }

  private get probeNote(): string | undefined {
    const notes = [
      this.probeMisses > 0
        ? `${this.probeMisses} forced reading${this.probeMisses === 1 ? '' : 's'} failed (${this.probeMissWhy})`
        : '',
      this.probeFailed ? `the inspector session ended (${this.probeFailed}): no readings after it` : '',
    ].filter(Boolean);
    return notes.length > 0 ? notes.join('; ') : undefined;
  }

  private async probeIfDue(t: number): Promise<number | undefined> {
    const probe = this.options.heapProbe;
    // A tick is "due" a little early too: ticks jitter around the cadence.
    if (!probe || !this.probing || this.probeFailed || t - this.lastProbeT < this.gcEveryS - 0.25) return undefined;
    this.lastProbeT = t;
    try {
      const reading = await probe.read();
      this.gcMs.push(reading.gcMs);
      return reading.postGcHeapBytes;
    } catch (error) {
      // A timeout (the target busy or stopped a moment) leaves the session open: try again
      // next time. A closed session (the target went away) ends the readings.
      if (probe.isOpen) {
        this.probeMisses++;
        this.probeMissWhy = (error as Error).message;
      } else {
        this.probeFailed = (error as Error).message;
      }
      return undefined;
    }
  }

  /** The metrics URL's post-GC figure when it is a new reading, else undefined. */
  private newMemwatchReading(figures: ProcessFigures | undefined): number | undefined {
    if (figures?.postGcHeapBytes === undefined) return undefined;
    const key = figures.postGcReadings !== undefined ? `n${figures.postGcReadings}` : `v${figures.postGcHeapBytes}`;
    if (key === this.lastReadingKey) return undefined;
    this.lastReadingKey = key;
    return figures.postGcHeapBytes;
  }

  private async fetchFigures(url: string): Promise<ProcessFigures | undefined> {
    try {
      const res = await request(url, {
        headers: this.options.headers,
        headersTimeout: this.options.timeoutMs ?? 2000,
        bodyTimeout: this.options.timeoutMs ?? 2000,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        this.failures++;
        this.lastError = `metrics URL answered ${res.statusCode}`;
        return undefined;
      }
      const json = (await res.body.json()) as { process?: Record<string, unknown> };
      const p = json.process ?? {};
      const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
      return {
        rssBytes: num(p.rssBytes),
        heapUsedBytes: num(p.heapUsedBytes),
        postGcHeapBytes: num(p.postGcHeapBytes),
        postGcReadings: typeof p.postGcReadings === 'number' ? p.postGcReadings : undefined,
      };
    } catch (error) {
      this.failures++;
      this.lastError = `metrics URL: ${(error as Error).message}`;
      return undefined;
    }
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
