// The memory-trend verdict of one series (post-GC heap or RSS), at any run length the
// evidence allows. "MB" in names means MiB, as in result.ts.
//
// 1. Model: warm-up that levels off + straight-line leak + noise, fitted robustly with
//    the warm-up explicit (leak-model.ts), over every reading of the load (a fixed
//    `warmupS` drops readings before it instead). The slope comes with a standard error.
// 2. Minimum detectable slope: the slope this run would have detected with 80 % power at
//    the significance level, (z₁₋α + z₀.₈) × SE, never below the practical floor.
// 3. Verdict:
//    - `growing`: significant (one-sided, slope > z₁₋α × SE), above the practical floor,
//      and fitted growth over the window after the warm-up ≥ minGrowthMB;
//    - `stable`: not growing, and the minimum detectable slope is at most
//      `maxDetectableMBPerMin` — a leak above that rate would have been seen;
//    - `inconclusive`: too few readings, or a run whose noise hides leaks above that rate.
import { median, normalCdf, normalQuantile, subsample } from '../internal/stats.js';
import { fitLeakModel } from './leak-model.js';
import type { TrendVerdict, TrendVerdictKind } from '../result.js';

const MiB = 1024 * 1024;

export interface TrendOptions {
  /** Seconds discarded at the start; default: fitted (see the module header). */
  warmupS?: number;
  /** Fewer readings than this in the judged window: inconclusive. @default 8 */
  minSamples?: number;
  /** One-sided significance level of "growing". @default 0.01 */
  alpha?: number;
  /** Power at which the minimum detectable slope is stated. @default 0.8 */
  power?: number;
  /** Practical floor: a slope must exceed this many MiB/min. @default 0.25 (post-GC heap), 0.5 (RSS) */
  minSlopeMBPerMin?: number;
  /** Practical floor: and this fraction of the level per minute. @default 0.005 (post-GC heap), 0.01 (RSS) */
  minSlopeFractionPerMin?: number;
  /** Practical floor: and the fitted growth over the window must reach this many MiB. @default 1 (post-GC heap), 2 (RSS) */
  minGrowthMB?: number;
  /**
   * Practical floor: and this fraction of the level (the seed's criterion: growth of 10 % of
   * the level within a run fails it). In a short run it is what keeps a slow warm-up —
   * the gateway's heap under upload load settles with τ ≈ 1 min — from being called a
   * leak. @default 0.1
   */
  minGrowthFraction?: number;
  /**
   * `stable` needs a minimum detectable slope at or below this (MiB/min): otherwise the
   * run is `inconclusive` (it could not have seen a leak of that size).
   * @default max(3, 15 % of the level per minute)
   */
  maxDetectableMBPerMin?: number;
  /** Pairwise slopes are O(n²): beyond this many readings, subsample evenly. @default 2000 */
  maxSamples?: number;
}

export interface TrendPoint {
  /** Seconds. */
  t: number;
  /** Bytes. */
  value: number;
}

const DEFAULTS = {
  postGcHeap: { minSlopeMBPerMin: 0.25, minSlopeFractionPerMin: 0.005, minGrowthMB: 1 },
  rss: { minSlopeMBPerMin: 0.5, minSlopeFractionPerMin: 0.01, minGrowthMB: 2 },
} as const;

/** Judge one series of byte values over time. */
export function judgeTrend(metric: TrendVerdict['metric'], points: readonly TrendPoint[], options: TrendOptions = {}): TrendVerdict {
  const alpha = options.alpha ?? 0.01;
  const power = options.power ?? 0.8;
  const minSamples = options.minSamples ?? 8;
  const floors = DEFAULTS[metric];
  const sorted = points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.t)).sort((a, b) => a.t - b.t);
  const t0 = sorted[0]?.t ?? 0;
  const cut = options.warmupS ?? 0;
  const kept = subsample(sorted.filter((p) => p.t - t0 >= cut), options.maxSamples ?? 2000);
  const spanS = kept.length > 1 ? kept[kept.length - 1].t - kept[0].t : 0;
  const what = metric === 'postGcHeap' ? 'post-GC reading' : 'sample';

  if (kept.length < minSamples || spanS <= 0) {
    const why = ' — run longer';
    return {
      metric, warmupS: round(cut, 1), samples: kept.length, windowS: round(spanS, 1),
      verdict: 'inconclusive',
      inconclusive: 'samples',
      fitted: false,
      slopeMBPerMin: 0,
      projectedMBPerHour: 0,
      pValue: 1,
      reason: `only ${kept.length} ${what}${kept.length === 1 ? '' : 's'}${cut > 0 ? ` after the ${fmtS(cut)} warm-up` : ''} (need ${minSamples})${why}`,
    };
  }

  const xs = kept.map((p) => p.t / 60); // minutes
  const ys = kept.map((p) => p.value / MiB);
  const fit = fitLeakModel(xs, ys);
  // The warm-up is over once its term has decayed to 5 % (3τ). The slope is fitted net of
  // it, so the growth a leak adds is slope × the whole span judged; the level is the
  // median after the warm-up.
  const warmupS = cut + (fit.tau !== undefined ? Math.min(3 * fit.tau * 60, spanS) : 0);
  const windowS = spanS;
  const settled = ys.filter((_, i) => (xs[i] - xs[0]) * 60 >= warmupS - cut);
  const levelMB = median(settled.length > 0 ? settled : ys);
  const zAlpha = normalQuantile(1 - alpha);
  const floorMB = Math.max((options.minSlopeFractionPerMin ?? floors.minSlopeFractionPerMin) * levelMB, options.minSlopeMBPerMin ?? floors.minSlopeMBPerMin);
  const minGrowth = Math.max(options.minGrowthMB ?? floors.minGrowthMB, (options.minGrowthFraction ?? 0.1) * levelMB);
  const statistical = (zAlpha + normalQuantile(power)) * fit.stdErr;
  // The smallest leak this run could call `growing`: seen (statistics), above the slope
  // floor, and growing by the growth floor within the window.
  const detectable = Math.max(statistical, floorMB, windowS > 0 ? minGrowth / (windowS / 60) : Infinity);
  const maxDetectable = options.maxDetectableMBPerMin ?? Math.max(3, 0.15 * levelMB);
  const growthMB = fit.slope * (windowS / 60);
  const z = fit.stdErr > 0 ? fit.slope / fit.stdErr : fit.slope > 0 ? Infinity : 0;
  const pValue = 1 - normalCdf(z);

  const slopeText = `${signedFmt(fit.slope)} ± ${fmt(fit.stdErr)} MiB/min`;
  const warmText = fit.tau !== undefined ? `a fitted ${fmtS(warmupS)} warm-up (τ ${fmtS(fit.tau * 60)})` : 'no warm-up';
  const context = `median ${fmt(levelMB)} MiB, ${kept.length} ${what}s over ${fmtS(spanS)}, ${warmText}`;
  let verdict: TrendVerdictKind;
  let reason: string;
  const upper = fit.slope + zAlpha * fit.stdErr;
  const floorWhy = detectable > statistical * 1.05
    ? `a leak must add ${fmt(minGrowth)} MiB within the ${fmtS(windowS)} judged (${fmt(statistical)} MiB/min would be seen)`
    : `${fmt(detectable)} MiB/min would be seen`;
  if (z > zAlpha && fit.slope > floorMB && growthMB >= minGrowth) {
    verdict = 'growing';
    reason = `p=${fmtP(pValue)} < ${alpha}, above the ${fmt(floorMB)} MiB/min floor, +${fmt(growthMB)} MiB over ${fmtS(windowS)}; ${context}`;
  } else if (upper <= detectable && detectable <= maxDetectable) {
    // "No leak above X": the slope's upper confidence bound is below X, and X is small enough to mean something.
    verdict = 'stable';
    const why = z <= zAlpha
      ? `no significant rise (p=${fmtP(pValue)})`
      : fit.slope <= floorMB
        ? `below the ${fmt(floorMB)} MiB/min floor`
        : `rising, but only +${fmt(growthMB)} MiB over ${fmtS(windowS)}`;
    reason = `${why}; ${floorWhy}; ${context}`;
  } else {
    verdict = 'inconclusive';
    reason = `too noisy to tell: only a leak above ${fmt(detectable)} MiB/min would show, and stable needs ≤ ${fmt(maxDetectable)}; slope so far ${slopeText}; ${context}`;
  }
  return {
    metric,
    verdict,
    ...(verdict === 'inconclusive' ? { inconclusive: 'undetectable' as const } : {}),
    fitted: true,
    slopeMBPerMin: round(fit.slope, 4),
    slopeStdErrMBPerMin: round(fit.stdErr, 4),
    minDetectableMBPerMin: round(detectable, 3),
    growthMB: round(growthMB, 3),
    projectedMBPerHour: round(fit.slope * 60, 2),
    pValue: Number(pValue.toPrecision(4)),
    samples: kept.length,
    warmupS: round(warmupS, 1),
    warmupFitted: fit.tau !== undefined,
    windowS: round(windowS, 1),
    levelMB: round(levelMB, 3),
    line: lineOf(kept[0].t, kept[kept.length - 1].t, kept[0].t + (warmupS - cut), fit.level, fit.slope),
    reason,
  };
}

/** The fitted line level + slope·(t − first) from the window's start to its end (t in s, slope in MiB/min). */
function lineOf(firstS: number, lastS: number, fromS: number, level: number, slope: number): NonNullable<TrendVerdict['line']> {
  const at = (t: number) => round(level + (slope * (t - firstS)) / 60, 3);
  return { fromS: round(fromS, 3), toS: round(lastS, 3), fromMB: at(fromS), toMB: at(lastS) };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) < 0.0005) return '0.000';
  return Math.abs(x) >= 10 ? x.toFixed(1) : Math.abs(x) >= 0.1 ? x.toFixed(2) : x.toFixed(3);
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
