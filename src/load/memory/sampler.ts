// MemorySampler: the TARGET's memory at 1 Hz. RSS comes from /proc/PID/status when a
// pid is known; heap, post-GC heap (memwatch in the gateway) and, without a pid, RSS
// come from a metrics URL answering JSON with `process.rssBytes`,
// `process.heapUsedBytes` and `process.postGcHeapBytes` (Conduit's GET /v1/metrics).
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import type { MemoryReport, MemorySample } from '../result.js';
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
  /** Most samples kept; longer runs are thinned evenly (see sample-buffer.ts). @default 4000 */
  maxSamples?: number;
}

interface ProcessFigures {
  rssBytes?: number;
  heapUsedBytes?: number;
  postGcHeapBytes?: number;
}

export class MemorySampler {
  readonly source: MemoryReport['source'];
  private readonly options: MemorySamplerOptions;
  private readonly origin: number;
  private readonly samples: SampleBuffer;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> | undefined;
  private failures = 0;
  private lastError: string | undefined;

  constructor(options: MemorySamplerOptions) {
    this.options = options;
    this.origin = options.origin ?? performance.now();
    this.samples = new SampleBuffer(options.maxSamples);
    this.source = options.pid ? 'proc' : options.metricsUrl ? 'metrics-url' : 'none';
  }

  start(): this {
    if (this.timer || this.source === 'none') return this;
    void this.sampleNow();
    this.timer = setInterval(() => {
      // A slow metrics endpoint never stacks samples.
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
    const rssBytes = procRss ?? figures?.rssBytes;
    if (rssBytes === undefined) {
      this.failures++;
      this.lastError ??= this.options.pid ? `no /proc/${this.options.pid}/status` : 'no rss in metrics';
      return;
    }
    const sample: MemorySample = { t: Math.round(t * 1000) / 1000, rssBytes };
    if (figures?.heapUsedBytes !== undefined) sample.heapUsedBytes = figures.heapUsedBytes;
    if (figures?.postGcHeapBytes !== undefined) sample.postGcHeapBytes = figures.postGcHeapBytes;
    this.samples.push(sample);
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
      return { rssBytes: num(p.rssBytes), heapUsedBytes: num(p.heapUsedBytes), postGcHeapBytes: num(p.postGcHeapBytes) };
    } catch (error) {
      this.failures++;
      this.lastError = `metrics URL: ${(error as Error).message}`;
      return undefined;
    }
  }
}
