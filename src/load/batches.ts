// Batches: the run cut into about 30 equal slices of time, with each latency histogram's
// percentiles and each rate counter's count per slice. They are what a baseline
// comparison knows of a run's own noise — how much p95 or req/s moves from one slice to
// the next — beyond what the histogram counts alone say (verdict/regression.ts).
//
// Nothing is recorded on the hot path: at a slice's end the recorder copies each
// cumulative histogram and subtracts the copy taken at the previous end (HDR histograms
// subtract exactly), and diffs the counters. A percentile of a slice with a handful of
// samples says little (a p99 of 40 samples is their maximum), so each percentile is
// taken over consecutive slices grouped until they hold enough samples — 5 for p50, 20
// for p95, 100 for p99 — by adding their histograms. Bounded: ~30 slices whatever the
// run's length.
import { createHistogram, percentile } from './histogram.js';
import type { Histogram } from './histogram.js';
import type { Metrics } from './metrics.js';
import type { RunBatches } from './result.js';

/** Samples a group of slices needs before its percentile counts. */
export const BATCH_MIN_SAMPLES = { p50: 5, p95: 20, p99: 100 } as const;

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
  /** Per latency histogram, its slices (undefined: the histogram did not exist yet). */
  private readonly slices = new Map<string, Array<Histogram | undefined>>();
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

  /** The slices recorded so far, each percentile over groups of slices with enough samples. */
  result(): RunBatches {
    const latency: RunBatches['latency'] = {};
    for (const [name, slices] of this.slices) {
      const count = this.out.t.map((_, i) => slices[i]?.totalCount ?? 0);
      latency[name] = { count, p50: grouped(slices, 50), p95: grouped(slices, 95), p99: grouped(slices, 99) };
    }
    return { ...this.out, latency };
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
      const list = this.slices.get(name) ?? [];
      // A histogram first seen in this slice has none for the earlier ones.
      list[index] = slice;
      this.slices.set(name, list);
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

/** The percentile `p` over consecutive slices grouped until each group holds enough samples. */
function grouped(slices: ReadonlyArray<Histogram | undefined>, p: 50 | 95 | 99): number[] {
  const need = BATCH_MIN_SAMPLES[`p${p}`];
  const out: number[] = [];
  let group: Histogram | undefined;
  for (const slice of slices) {
    if (!slice || slice.totalCount === 0) continue;
    group ??= createHistogram();
    group.add(slice);
    if (group.totalCount >= need) {
      out.push(round(percentile(group, p)));
      group = undefined;
    }
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
