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
// for p95, 100 for p99 — by adding their histograms, as the slices close (a slice's
// histogram is not kept: ~30 of them, one per latency histogram, took ~8 MiB in a 10-minute
// soak). Bounded: ~30 slices whatever the run's length.
import { createHistogram, percentile } from './histogram.js';
import type { Histogram } from './histogram.js';
import type { Metrics } from './metrics.js';
import type { RunBatches } from './result.js';

/** Samples a group of slices needs before its percentile counts. */
export const BATCH_MIN_SAMPLES = { p50: 5, p95: 20, p99: 100 } as const;

/** Counters whose per-slice counts give a rate's noise (bytes are added up as one). */
export const BATCH_COUNTERS = [
  'requests',
  'errors',
  'bytes',
  'ws.deliveries',
  'upload.files',
  'http.enqueued',
] as const;

/** Slice width for a run of `durationS` seconds: about 30 slices, at least 1 s. */
export function batchWidthS(durationS: number): number {
  return Math.max(1, Math.round(durationS / 30));
}

/** One percentile's groups of consecutive slices, built as slices close. */
interface OpenGroups {
  need: number;
  p: 50 | 95 | 99;
  open: Histogram | undefined;
  out: number[];
}

/** Per latency histogram: its count per slice and its percentiles' groups. */
interface SliceTally {
  count: number[];
  groups: OpenGroups[];
}

export class BatchRecorder {
  readonly widthS: number;
  private readonly metrics: Metrics;
  private readonly untilS: number;
  /** Per latency histogram, a copy of it at the previous slice's end. */
  private readonly previous = new Map<string, Histogram>();
  private readonly tallies = new Map<string, SliceTally>();
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
    for (const [name, tally] of this.tallies) {
      const [p50, p95, p99] = tally.groups.map((g) => [...g.out]);
      latency[name] = { count: [...tally.count], p50: p50!, p95: p95!, p99: p99! };
    }
    return {
      ...this.out,
      t: [...this.out.t],
      counts: Object.fromEntries(Object.entries(this.out.counts).map(([k, v]) => [k, [...v]])),
      latency,
    };
  }

  // A slice's histogram is added to each percentile's open group at once and then
  // dropped: only one copy per histogram (the previous end) and at most three open groups
  // live between slices, whatever the run's length.
  private close(t: number): void {
    const index = this.out.t.length;
    this.out.t.push(t);
    for (const [name, histogram, unit] of this.metrics.histogramEntries()) {
      if (unit !== 'ms') continue;
      const previous = this.previous.get(name);
      const current = createHistogram();
      current.add(histogram);
      const slice = createHistogram();
      slice.add(current);
      if (previous) slice.subtract(previous);
      this.previous.set(name, current);
      let tally = this.tallies.get(name);
      if (!tally) {
        // A histogram first seen in this slice counted nothing in the earlier ones.
        tally = {
          count: new Array<number>(index).fill(0),
          groups: ([50, 95, 99] as const).map((p) => ({
            p,
            need: BATCH_MIN_SAMPLES[`p${p}`],
            open: undefined,
            out: [],
          })),
        };
        this.tallies.set(name, tally);
      }
      tally.count.push(slice.totalCount);
      if (slice.totalCount > 0) for (const g of tally.groups) addToGroup(g, slice);
    }
    // Histograms that vanished (none do today) would still owe this slice a count.
    for (const tally of this.tallies.values()) if (tally.count.length === index) tally.count.push(0);
    const now: Record<string, number> = {};
    for (const name of BATCH_COUNTERS) {
      now[name] =
        name === 'bytes'
          ? this.metrics.counter('bytesSent') + this.metrics.counter('bytesReceived')
          : this.metrics.counter(name);
      this.out.counts[name] ??= [];
      const list = this.out.counts[name];
      list.push(now[name] - (this.previousCounts[name] ?? 0));
    }
    this.previousCounts = now;
  }
}

/** Add a slice to a percentile's open group; a group with enough samples gives its percentile and closes. */
function addToGroup(g: OpenGroups, slice: Histogram): void {
  g.open ??= createHistogram();
  g.open.add(slice);
  if (g.open.totalCount >= g.need) {
    g.out.push(round(percentile(g.open, g.p)));
    g.open = undefined;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
