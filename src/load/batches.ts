// Batches: the run cut into about 30 equal slices of time, with each latency histogram's
// percentiles and each rate counter's count per slice. They are what a baseline
// comparison knows of a run's own noise — how much p95 or req/s moves from one slice to
// the next — beyond what the histogram counts alone say (verdict/regression.ts).
//
// Nothing is recorded on the hot path: at a slice's end the recorder copies each
// cumulative histogram and subtracts the copy taken at the previous end (HDR histograms
// subtract exactly), and diffs the counters. Bounded: ~30 slices of a few numbers per
// histogram whatever the run's length.
import { createHistogram, percentile } from './histogram.js';
import type { Histogram } from './histogram.js';
import type { Metrics } from './metrics.js';
import type { RunBatches } from './result.js';

/** Counters whose per-slice counts give a rate's noise (bytes are added up as one). */
export const BATCH_COUNTERS = ['requests', 'errors', 'bytes', 'ws.deliveries', 'upload.files', 'http.enqueued'] as const;

/** Slice width for a run of `durationS` seconds: about 30 slices, at least 1 s. */
export function batchWidthS(durationS: number): number {
  return Math.max(1, Math.round(durationS / 30));
}

export class BatchRecorder {
  readonly widthS: number;
  private readonly metrics: Metrics;
  private readonly untilS: number;
  private readonly previous = new Map<string, Histogram>();
  private previousCounts: Record<string, number> = {};
  private next: number;
  private readonly out: RunBatches;

  /** Slices of `widthS` seconds up to `untilS` (the end of the load; later ticks are ignored). */
  constructor(metrics: Metrics, widthS: number, untilS: number) {
    this.metrics = metrics;
    this.widthS = widthS;
    this.untilS = untilS;
    this.next = widthS;
    this.out = { widthS, t: [], latency: {}, counts: {} };
  }

  /** Call on every engine tick with the seconds elapsed; closes every slice that ended. */
  tick(elapsedS: number): void {
    // A tick a little early still closes its slice (ticks jitter around whole seconds).
    while (elapsedS + 0.25 >= this.next && this.next <= this.untilS + 0.25) {
      this.close(this.next);
      this.next += this.widthS;
    }
  }

  /** The slices recorded so far. */
  result(): RunBatches {
    return this.out;
  }

  private close(t: number): void {
    const index = this.out.t.length;
    this.out.t.push(t);
    for (const [name, histogram, unit] of this.metrics.histogramEntries()) {
      if (unit !== 'ms') continue;
      const previous = this.previous.get(name);
      const slice = createHistogram();
      slice.add(histogram);
      const current = createHistogram();
      current.add(histogram);
      if (previous) slice.subtract(previous);
      this.previous.set(name, current);
      const series = (this.out.latency[name] ??= { count: [], p50: [], p95: [], p99: [] });
      // A histogram first seen in this slice has no entries for the earlier ones.
      while (series.count.length < index) {
        series.count.push(0);
        series.p50.push(0);
        series.p95.push(0);
        series.p99.push(0);
      }
      series.count.push(slice.totalCount);
      series.p50.push(round(percentile(slice, 50)));
      series.p95.push(round(percentile(slice, 95)));
      series.p99.push(round(percentile(slice, 99)));
    }
    const now: Record<string, number> = {};
    for (const name of BATCH_COUNTERS) {
      now[name] = name === 'bytes' ? this.metrics.counter('bytesSent') + this.metrics.counter('bytesReceived') : this.metrics.counter(name);
      const list = (this.out.counts[name] ??= []);
      list.push(now[name] - (this.previousCounts[name] ?? 0));
    }
    this.previousCounts = now;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
