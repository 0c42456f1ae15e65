// The memory-trend verdict: after a warm-up, a Theil–Sen slope and a Mann–Kendall test
// decide `growing` (significant AND practically large), `stable`, or `inconclusive`
// (too few samples, or a judged window too short to tell a leak from warm-up).
// "MB" in names means MiB, as in result.ts.
//
// Post-GC heap readings change only when the target runs a FULL GC (memwatch 'stats'),
// while the sampler reads the last figure every second: consecutive equal readings are
// one observation, not many (`seriesOf` collapses them), or a staircase of three GCs
// would look like sixty significant samples.
import { mannKendall, median, subsample, theilSen } from './internal/stats.js';
import type { MemorySample, TrendVerdict, TrendVerdictKind } from './result.js';

const MiB = 1024 * 1024;

export interface TrendOptions {
  /**
   * Seconds discarded at the start. @default post-GC heap: max(20 % of the span,
   * min(10 s, half the span)); RSS: max(20 % of the span, min(60 s, half the span)) —
   * RSS keeps rising for the first minute of load while V8 sizes its heap and the
   * allocator fills its arenas, which is not a leak.
   */
  warmupS?: number;
  /** Fewer samples (distinct post-GC readings) than this after warm-up: inconclusive. @default 8 */
  minSamples?: number;
  /**
   * A judged window (first to last sample after the warm-up) shorter than this many
   * seconds is inconclusive ("not judged"): over a short window the tail of the warm-up
   * cannot be told apart from a leak. The slope is still fitted and reported. @default 120
   */
  minWindowS?: number;
  /** Significance level of the Mann–Kendall test. @default 0.01 */
  alpha?: number;
  /** Practical floor: growth must exceed this fraction of the mean per minute. @default 0.005 */
  minSlopeFractionPerMin?: number;
  /** Practical floor: and at least this many MiB per minute. @default 0.25 */
  minSlopeMBPerMin?: number;
  /**
   * Practical floor: and the fitted growth over the judged window must reach this many
   * MiB (a few seconds of noise never extrapolate to a "leak"). @default 1
   */
  minGrowthMB?: number;
  /** Pairwise slopes are O(n²): beyond this many samples, subsample evenly. @default 2000 */
  maxSamples?: number;
}

export interface TrendPoint {
  /** Seconds. */
  t: number;
  /** Bytes. */
  value: number;
}

export const DEFAULT_MIN_WINDOW_S = 120;

export function defaultWarmupS(spanS: number, metric: TrendVerdict['metric'] = 'postGcHeap'): number {
  const cap = metric === 'rss' ? 60 : 10;
  return Math.max(0.2 * spanS, Math.min(cap, 0.5 * spanS));
}

/** Judge one series of byte values over time. */
export function judgeTrend(
  metric: TrendVerdict['metric'],
  points: readonly TrendPoint[],
  options: TrendOptions = {},
): TrendVerdict {
  const alpha = options.alpha ?? 0.01;
  const minSamples = options.minSamples ?? 8;
  const minWindowS = options.minWindowS ?? DEFAULT_MIN_WINDOW_S;
  const sorted = points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.t)).sort((a, b) => a.t - b.t);
  const t0 = sorted[0]?.t ?? 0;
  const span = sorted.length > 0 ? sorted[sorted.length - 1].t - t0 : 0;
  const warmupS = options.warmupS ?? defaultWarmupS(span, metric);
  const kept = subsample(
    sorted.filter((p) => p.t - t0 >= warmupS),
    options.maxSamples ?? 2000,
  );
  const windowS = kept.length > 1 ? kept[kept.length - 1].t - kept[0].t : 0;
  const what = metric === 'postGcHeap' ? `post-GC reading${kept.length === 1 ? '' : 's'}` : `sample${kept.length === 1 ? '' : 's'}`;
  const base = { metric, warmupS: round(warmupS, 1), samples: kept.length, windowS: round(windowS, 1) };

  if (kept.length < minSamples) {
    const why = metric === 'postGcHeap'
      ? ': memwatch reports the heap only after a full GC, and this run had too few — run longer'
      : ': run longer';
    return {
      ...base,
      verdict: 'inconclusive',
      inconclusive: 'samples',
      fitted: false,
      slopeMBPerMin: 0,
      projectedMBPerHour: 0,
      pValue: 1,
      reason: `only ${kept.length} ${what} after the ${fmtS(warmupS)} warm-up (need ${minSamples})${why}`,
    };
  }

  const xs = kept.map((p) => p.t / 60); // minutes
  const ys = kept.map((p) => p.value / MiB);
  const { slope } = theilSen(xs, ys);
  const { pValue } = mannKendall(ys);
  const meanMB = ys.reduce((a, b) => a + b, 0) / ys.length;
  const levelMB = median(ys);
  const floor = Math.max(
    (options.minSlopeFractionPerMin ?? 0.005) * meanMB,
    options.minSlopeMBPerMin ?? 0.25,
  );
  const windowMin = windowS / 60;
  const minGrowth = options.minGrowthMB ?? 1;
  const fittedGrowth = slope * windowMin;
  const significant = pValue < alpha;
  const large = slope > floor && fittedGrowth >= minGrowth;
  const fit = `slope ${signedFmt(slope)} MiB/min, p=${fmtP(pValue)}`;
  let verdict: TrendVerdictKind = 'stable';
  let reason: string;
  if (windowS < minWindowS) {
    verdict = 'inconclusive';
    reason = `not judged: ${fmtS(windowS)} of samples after the ${fmtS(warmupS)} warm-up, a trend verdict needs ${fmtS(minWindowS)} (${fit} so far — over a short window the end of the warm-up looks like growth)`;
  } else if (significant && large) {
    verdict = 'growing';
    reason = `rising ${fmt(slope)} MiB/min (p=${fmtP(pValue)} < ${alpha}, above the ${fmt(floor)} MiB/min floor)`;
  } else if (!significant) {
    reason = `no significant monotonic trend (p=${fmtP(pValue)} ≥ ${alpha}; slope ${fmt(slope)} MiB/min)`;
  } else if (slope <= 0) {
    reason = `significant but not rising (slope ${fmt(slope)} MiB/min)`;
  } else if (slope <= floor) {
    reason = `slope ${fmt(slope)} MiB/min is below the practical floor of ${fmt(floor)} MiB/min (p=${fmtP(pValue)})`;
  } else {
    reason = `fitted growth ${fmt(fittedGrowth)} MiB over ${fmt(windowMin)} min is below the ${fmt(minGrowth)} MiB floor (slope ${fmt(slope)} MiB/min, p=${fmtP(pValue)})`;
  }
  return {
    ...base,
    verdict,
    ...(verdict === 'inconclusive' ? { inconclusive: 'window' as const } : {}),
    fitted: true,
    slopeMBPerMin: round(slope, 4),
    projectedMBPerHour: round(slope * 60, 2),
    pValue: Number(pValue.toPrecision(4)),
    levelMB: round(levelMB, 3),
    reason: `${reason}; median ${fmt(levelMB)} MiB over ${kept.length} ${what}`,
  };
}

/** Combine verdicts: growing if any grows; inconclusive if none could decide; else stable. */
export function overallVerdict(trends: readonly TrendVerdict[]): TrendVerdictKind {
  if (trends.some((t) => t.verdict === 'growing')) return 'growing';
  if (trends.length === 0 || trends.every((t) => t.verdict === 'inconclusive')) return 'inconclusive';
  return 'stable';
}

/**
 * Trend points of one memory metric from samples. RSS: every sample. Post-GC heap: one
 * point per reading — a value repeated by consecutive samples is the same full GC, kept
 * once at the time it first appeared.
 */
export function seriesOf(samples: readonly MemorySample[], metric: TrendVerdict['metric']): TrendPoint[] {
  const key = metric === 'rss' ? 'rssBytes' : 'postGcHeapBytes';
  const points: TrendPoint[] = [];
  let last: number | undefined;
  for (const s of samples) {
    const value = s[key];
    if (typeof value !== 'number' || !(value > 0)) continue;
    if (metric === 'postGcHeap' && value === last) continue;
    last = value;
    points.push({ t: s.t, value });
  }
  return points;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
function fmt(x: number): string {
  return Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(3);
}
function signedFmt(x: number): string {
  return x > 0 ? `+${fmt(x)}` : fmt(x);
}
function fmtS(seconds: number): string {
  return seconds >= 120 ? `${Math.round(seconds / 6) / 10} min` : `${Math.round(seconds * 10) / 10} s`;
}
function fmtP(p: number): string {
  return p < 0.0001 ? p.toExponential(1) : p.toFixed(4);
}
