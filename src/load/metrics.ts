// The scenario's recorder: named HDR histograms, per-interval figures for the series,
// counters, status codes, typed errors and time-weighted in-flight concurrency. Drivers
// and load models write into it; the engine rolls intervals; buildScenarioResult reads
// a snapshot. It never prints anything.
import { performance } from 'node:perf_hooks';
import { createHistogram, percentile, recordMs, recordValue, toHistogramRecord } from './histogram.js';
import type { Histogram, HistogramUnit } from './histogram.js';
import type { HistogramRecord, IntervalPoint } from './result.js';
import { BoundedSeries } from './series.js';

export interface MetricsOptions {
  /** Histogram whose per-interval percentiles feed the series. @default 'http.latency' */
  mainMetric?: string;
  /** Monotonic clock in ms. @default performance.now */
  now?: () => number;
  /** Most points the series keeps; longer runs merge adjacent intervals (see series.ts). @default 600 */
  maxSeriesPoints?: number;
}

export interface MetricsSnapshot {
  histograms: Record<string, HistogramRecord>;
  counters: Record<string, number>;
  statusCodes: Record<string, number>;
  errors: Record<string, number>;
  concurrency: { max: number; mean: number };
  series: IntervalPoint[];
  elapsedS: number;
}

interface Named {
  histogram: Histogram;
  unit: HistogramUnit;
}

export class Metrics {
  readonly mainMetric: string;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly named = new Map<string, Named>();
  private readonly counters = new Map<string, number>();
  private readonly statusCodes = new Map<string, number>();
  private readonly errors = new Map<string, number>();
  private readonly series: BoundedSeries;

  // In-flight: time-weighted mean needs the area under the in-flight curve.
  private inflight = 0;
  private maxInflight = 0;
  private inflightArea = 0;
  private lastChange: number;

  // The current interval.
  private interval = createHistogram();
  private intervalRequests = 0;
  private intervalErrors = 0;
  private intervalBytes = 0;

  constructor(options: MetricsOptions = {}) {
    this.mainMetric = options.mainMetric ?? 'http.latency';
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
    this.lastChange = this.startedAt;
    this.series = new BoundedSeries(options.maxSeriesPoints);
  }

  /** The named histogram, created on first use. */
  histogram(name: string, unit: HistogramUnit = 'ms'): Histogram {
    let entry = this.named.get(name);
    if (!entry) {
      entry = { histogram: createHistogram(), unit };
      this.named.set(name, entry);
    }
    return entry.histogram;
  }

  /** Every named histogram with its unit (batch slices read them between intervals). */
  histogramEntries(): Array<[string, Histogram, HistogramUnit]> {
    return [...this.named].map(([name, { histogram, unit }]) => [name, histogram, unit]);
  }

  /** Record a latency in ms into `name` (and the interval series when it is the main metric). */
  recordLatency(name: string, ms: number): void {
    recordMs(this.histogram(name, 'ms'), ms);
    if (name === this.mainMetric) recordMs(this.interval, ms);
  }

  /** Record a non-time value (bytes, counts) into a histogram of that unit. */
  recordValue(name: string, value: number, unit: Exclude<HistogramUnit, 'ms'> = 'count'): void {
    recordValue(this.histogram(name, unit), value);
  }

  count(name: string, n = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }

  /** Keep the largest value seen under `name` (a gauge maximum, e.g. backlog). */
  max(name: string, value: number): void {
    if (value > (this.counters.get(name) ?? -Infinity)) this.counters.set(name, value);
  }

  counter(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  status(code: number): void {
    const key = String(code);
    this.statusCodes.set(key, (this.statusCodes.get(key) ?? 0) + 1);
  }

  /** Count one failed operation of type `kind` (also counts toward the series' errors). */
  error(kind: string): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
    this.count('errors');
    this.intervalErrors++;
  }

  /** Count one completed operation (successful or not) for the series. */
  completed(): void {
    this.count('requests');
    this.intervalRequests++;
  }

  bytes(sent: number, received = 0): void {
    if (sent > 0) this.count('bytesSent', sent);
    if (received > 0) this.count('bytesReceived', received);
    this.intervalBytes += sent + received;
  }

  /** Mark one operation in flight; call the returned function exactly once when it ends. */
  begin(): () => void {
    this.changeInflight(+1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.changeInflight(-1);
    };
  }

  get inflightNow(): number {
    return this.inflight;
  }

  elapsedS(): number {
    return (this.now() - this.startedAt) / 1000;
  }

  /** Close the current interval, append it to the series and return it. */
  rollInterval(): IntervalPoint {
    const point: IntervalPoint = {
      t: Math.round(this.elapsedS() * 1000) / 1000,
      requests: this.intervalRequests,
      errors: this.intervalErrors,
      bytes: this.intervalBytes,
      p50: percentile(this.interval, 50),
      p99: percentile(this.interval, 99),
      inflight: this.inflight,
    };
    this.series.push(point);
    this.interval.reset();
    this.intervalRequests = 0;
    this.intervalErrors = 0;
    this.intervalBytes = 0;
    return point;
  }

  snapshot(): MetricsSnapshot {
    this.changeInflight(0);
    const elapsedMs = this.lastChange - this.startedAt;
    const histograms: Record<string, HistogramRecord> = {};
    for (const [name, { histogram, unit }] of [...this.named].sort(([a], [b]) => a.localeCompare(b))) {
      histograms[name] = toHistogramRecord(histogram, unit);
    }
    return {
      histograms,
      counters: Object.fromEntries(this.counters),
      statusCodes: Object.fromEntries(this.statusCodes),
      errors: Object.fromEntries(this.errors),
      concurrency: {
        max: this.maxInflight,
        mean: elapsedMs > 0 ? this.inflightArea / elapsedMs : 0,
      },
      series: this.series.points(),
      elapsedS: elapsedMs / 1000,
    };
  }

  private changeInflight(delta: number): void {
    const t = this.now();
    this.inflightArea += this.inflight * (t - this.lastChange);
    this.lastChange = t;
    this.inflight += delta;
    if (this.inflight > this.maxInflight) this.maxInflight = this.inflight;
  }
}
