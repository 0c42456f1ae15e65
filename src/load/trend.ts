// The memory-trend verdict: after a warm-up, a Theil–Sen slope and a Mann–Kendall test
// decide `growing` (significant AND practically large), `stable`, or `inconclusive`
// (too few samples). "MB" in names means MiB, as in result.ts.
import { mannKendall, median, subsample, theilSen } from './internal/stats.js';
import type { MemorySample, TrendVerdict, TrendVerdictKind } from './result.js';

const MiB = 1024 * 1024;

export interface TrendOptions {
  /** Seconds discarded at the start. @default max(20% of the span, min(10 s, 50% of the span)) */
  warmupS?: number;
  /** Fewer samples than this after warm-up: inconclusive. @default 8 */
  minSamples?: number;
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

export function defaultWarmupS(spanS: number): number {
  return Math.max(0.2 * spanS, Math.min(10, 0.5 * spanS));
}

/** Judge one series of byte values over time. */
export function judgeTrend(
  metric: TrendVerdict['metric'],
  points: readonly TrendPoint[],
  options: TrendOptions = {},
): TrendVerdict {
  const alpha = options.alpha ?? 0.01;
  const minSamples = options.minSamples ?? 8;
  const sorted = points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.t)).sort((a, b) => a.t - b.t);
  const t0 = sorted[0]?.t ?? 0;
  const span = sorted.length > 0 ? sorted[sorted.length - 1].t - t0 : 0;
  const warmupS = options.warmupS ?? defaultWarmupS(span);
  const kept = subsample(
    sorted.filter((p) => p.t - t0 >= warmupS),
    options.maxSamples ?? 2000,
  );
  const base = { metric, warmupS: round(warmupS, 1), samples: kept.length };

  if (kept.length < minSamples) {
    return {
      ...base,
      verdict: 'inconclusive',
      slopeMBPerMin: 0,
      projectedMBPerHour: 0,
      pValue: 1,
      reason: `only ${kept.length} samples after a ${round(warmupS, 1)} s warm-up (need ${minSamples})`,
    };
  }

  const xs = kept.map((p) => p.t / 60); // minutes
  const ys = kept.map((p) => p.value / MiB);
  const { slope } = theilSen(xs, ys);
  const { pValue } = mannKendall(ys);
  const meanMB = ys.reduce((a, b) => a + b, 0) / ys.length;
  const floor = Math.max(
    (options.minSlopeFractionPerMin ?? 0.005) * meanMB,
    options.minSlopeMBPerMin ?? 0.25,
  );
  const windowMin = (kept[kept.length - 1].t - kept[0].t) / 60;
  const minGrowth = options.minGrowthMB ?? 1;
  const fittedGrowth = slope * windowMin;
  const significant = pValue < alpha;
  const large = slope > floor && fittedGrowth >= minGrowth;
  let verdict: TrendVerdictKind = 'stable';
  let reason: string;
  if (significant && large) {
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
    slopeMBPerMin: round(slope, 4),
    projectedMBPerHour: round(slope * 60, 2),
    pValue: Number(pValue.toPrecision(4)),
    reason: `${reason}; median ${fmt(median(ys))} MiB over ${kept.length} samples`,
  };
}

/** Combine verdicts: growing if any grows; inconclusive if none could decide; else stable. */
export function overallVerdict(trends: readonly TrendVerdict[]): TrendVerdictKind {
  if (trends.some((t) => t.verdict === 'growing')) return 'growing';
  if (trends.length === 0 || trends.every((t) => t.verdict === 'inconclusive')) return 'inconclusive';
  return 'stable';
}

/** Trend points of one memory metric from samples. */
export function seriesOf(samples: readonly MemorySample[], metric: TrendVerdict['metric']): TrendPoint[] {
  const key = metric === 'rss' ? 'rssBytes' : 'postGcHeapBytes';
  return samples.flatMap((s) => {
    const value = s[key];
    return typeof value === 'number' && value > 0 ? [{ t: s.t, value }] : [];
  });
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
function fmt(x: number): string {
  return Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(3);
}
function fmtP(p: number): string {
  return p < 0.0001 ? p.toExponential(1) : p.toFixed(4);
}
