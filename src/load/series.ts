// BoundedSeries: the per-interval series of a run, in at most `maxPoints` points however
// long the run. While it fits, every interval is a point. When it is full, adjacent
// points are merged pairwise and from then on each point covers twice as many intervals
// (1 s, 2 s, 4 s, …), so the points stay evenly spaced and a 24-hour run draws as well
// as a 10-minute one.
//
// Merging is lossless for counts (requests, errors, bytes are summed, so totals and
// rates over any span are exact) and for in-flight (the figure at the end of the merged
// interval, as for one interval). It is NOT lossless for p50/p99: the percentiles of a
// merged interval would need its histogram; the merged point carries the larger of the
// two (an upper bound, never an average — the same rule as merging machines' series).
// The run's exact percentiles are in its HDR histograms, which are already bounded.
import type { IntervalPoint } from './result.js';

export const DEFAULT_MAX_SERIES_POINTS = 600;

/** `a` then `b` (adjacent intervals) as one interval. */
export function mergeIntervals(a: IntervalPoint, b: IntervalPoint): IntervalPoint {
  return {
    t: b.t,
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    bytes: a.bytes + b.bytes,
    p50: Math.max(a.p50, b.p50),
    p99: Math.max(a.p99, b.p99),
    inflight: b.inflight,
  };
}

export class BoundedSeries {
  readonly maxPoints: number;
  private stored: IntervalPoint[] = [];
  /** The point being filled, and how many intervals it holds. */
  private pending: IntervalPoint | undefined;
  private pendingCount = 0;
  private perPoint = 1;

  constructor(maxPoints = DEFAULT_MAX_SERIES_POINTS) {
    if (!(Number.isInteger(maxPoints) && maxPoints >= 4 && maxPoints % 2 === 0)) {
      throw new RangeError('maxPoints must be an even integer ≥ 4');
    }
    this.maxPoints = maxPoints;
  }

  /** Intervals each stored point covers (a power of two). */
  get intervalsPerPoint(): number {
    return this.perPoint;
  }

  push(point: IntervalPoint): void {
    this.pending = this.pending ? mergeIntervals(this.pending, point) : { ...point };
    if (++this.pendingCount < this.perPoint) return;
    this.stored.push(this.pending);
    this.pending = undefined;
    this.pendingCount = 0;
    if (this.stored.length >= this.maxPoints) {
      const halved: IntervalPoint[] = [];
      for (let i = 0; i + 1 < this.stored.length; i += 2)
        halved.push(mergeIntervals(this.stored[i]!, this.stored[i + 1]!));
      this.stored = halved;
      this.perPoint *= 2;
    }
  }

  /** The points (a copy): the stored ones and the one being filled, if any. */
  points(): IntervalPoint[] {
    return this.pending ? [...this.stored, { ...this.pending }] : [...this.stored];
  }
}
