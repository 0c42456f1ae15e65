// The memory-trend verdict of one series (post-GC heap or RSS), at any run length the
// evidence allows. "MB" in names means MiB, as in result.ts.
//
// 1. Model: warm-up that levels off + straight-line leak + noise, fitted robustly with
//    the warm-up explicit (leak-model.ts), over every reading of the load (a fixed
//    `warmupS` drops readings before it; a warm-up after it is still fitted). The slope
//    judged is averaged over the line and the best warm-up model, with an error that
//    carries their disagreement; tests use Student's t.
// 2. Floors, scaled with the level the fit says memory started at: a slope floor, and a
//    growth floor — a leak must add 10 % of the level (at least 1 MiB; RSS 2 MiB) over
//    the span judged. In a short run the growth floor is what keeps a slow warm-up from
//    being called a leak.
// 3. Minimum detectable slope: the smallest leak this run would call `growing` with 80 %
//    power — max(t₁₋α·SE, slope floor, growth floor ÷ span) + t₀.₈·SE.
// 4. Verdict:
//    - `growing`: significant, above both floors, and rising in every model the data
//      cannot rule out (ΔBIC ≤ 6): a slow warm-up that fits as well is not a leak;
//    - `stable`: not rising, the slope's upper confidence bound below the minimum
//      detectable slope, and that at most `maxDetectableMBPerMin` — "no leak above X";
//    - `inconclusive`: too few readings, too noisy to rule out a leak of a size that
//      matters, or a rise that a warm-up explains as well ("run longer").
import { normalCdf, studentTQuantile, subsample } from '../internal/stats.js';
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
   * @default max(3, 15 % of the level per minute, capped at 30)
   */
  maxDetectableMBPerMin?: number;
  /** Beyond this many readings, subsample evenly (the fit is O(n) per model). @default 2000 */
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
export function judgeTrend(
  metric: TrendVerdict['metric'],
  points: readonly TrendPoint[],
  options: TrendOptions = {},
): TrendVerdict {
  const alpha = options.alpha ?? 0.01;
  const power = options.power ?? 0.8;
  const minSamples = options.minSamples ?? 8;
  const floors = DEFAULTS[metric];
  const sorted = points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.t)).sort((a, b) => a.t - b.t);
  const t0 = sorted[0]?.t ?? 0;
  const cut = options.warmupS ?? 0;
  const kept = subsample(
    sorted.filter((p) => p.t - t0 >= cut),
    options.maxSamples ?? 2000,
  );
  const spanS = kept.length > 1 ? kept[kept.length - 1].t - kept[0].t : 0;
  const what = metric === 'postGcHeap' ? 'post-GC reading' : 'sample';

  if (kept.length < minSamples || spanS <= 0) {
    const why = ' — run longer';
    return {
      metric,
      warmupS: round(cut, 1),
      samples: kept.length,
      windowS: round(spanS, 1),
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
  const { best: fit, averaged, plausible } = fitLeakModel(xs, ys);
  // The warm-up is over once its term has decayed to 5 % (3τ). The slope is fitted net of
  // it, so the growth a leak adds is slope × the whole span judged.
  const warmupS = cut + (fit.tau !== undefined ? Math.min(3 * fit.tau * 60, spanS) : 0);
  const windowS = spanS;
  const windowMin = windowS / 60;
  // The level the floors scale with: where the fit says memory settled at the start, so a
  // leak's own growth does not raise its floors (clamped to what was seen).
  const levelMB = Math.min(Math.max(fit.level, Math.min(...ys)), Math.max(...ys));
  const floorMB = Math.max(
    (options.minSlopeFractionPerMin ?? floors.minSlopeFractionPerMin) * levelMB,
    options.minSlopeMBPerMin ?? floors.minSlopeMBPerMin,
  );
  const minGrowth = Math.max(options.minGrowthMB ?? floors.minGrowthMB, (options.minGrowthFraction ?? 0.1) * levelMB);
  const growthFloor = windowMin > 0 ? minGrowth / windowMin : Infinity;
  const maxDetectable = options.maxDetectableMBPerMin ?? Math.max(3, Math.min(0.15 * levelMB, 30));
  // Judged on the slope averaged over the line and the warm-up model (leak-model.ts).
  const slope = averaged.slope;
  const stdErr = averaged.stdErr;
  const tAlpha = studentTQuantile(1 - alpha, averaged.dof);
  const tPower = studentTQuantile(power, averaged.dof);
  const statistical = (tAlpha + tPower) * stdErr;
  // The smallest leak this run would call growing with the stated power: it must clear
  // every threshold (significance, the slope floor, the growth floor) by tPower errors.
  const detectable = Math.max(tAlpha * stdErr, floorMB, growthFloor) + tPower * stdErr;
  const growthMB = slope * windowMin;
  const t = stdErr > 0 ? slope / stdErr : slope > 0 ? Infinity : 0;
  const pValue = studentTUpperTail(t, averaged.dof);
  const significant = t > tAlpha;
  // A leak must show in every model the data cannot rule out: where a slow warm-up
  // explains the rise as well as a leak does, that model's slope is small or uncertain.
  const rising = (f: { slope: number; stdErr: number; dof: number }) =>
    f.slope > studentTQuantile(1 - alpha, f.dof) * f.stdErr && f.slope > floorMB && f.slope * windowMin >= minGrowth;
  const doubter = plausible.find((f) => !rising(f));
  const slopeText = `${signedFmt(slope)} ± ${fmt(stdErr)} MiB/min`;
  const warmText = fit.tau !== undefined ? `a fitted ${fmtS(warmupS)} warm-up (τ ${fmtS(fit.tau * 60)})` : 'no warm-up';
  const blend =
    averaged.warmWeight > 0.05 && averaged.warmWeight < 0.95
      ? `; the line and the warm-up model weighted ${Math.round((1 - averaged.warmWeight) * 100)}:${Math.round(averaged.warmWeight * 100)}`
      : '';
  const context = `level ${fmt(levelMB)} MiB, ${kept.length} ${what}s over ${fmtS(spanS)}, ${warmText}${blend}`;
  let verdict: TrendVerdictKind;
  let reason: string;
  const floorWhy =
    growthFloor >= Math.max(floorMB, tAlpha * stdErr)
      ? `a leak must add ${fmt(minGrowth)} MiB within the ${fmtS(windowS)} judged (statistically ${fmt(statistical)} MiB/min would show)`
      : `${fmt(detectable)} MiB/min would show`;
  const rises = significant && slope > floorMB && growthMB >= minGrowth;
  if (rises && !doubter) {
    verdict = 'growing';
    reason = `p=${fmtP(pValue)} < ${alpha}, above the ${fmt(floorMB)} MiB/min floor, +${fmt(growthMB)} MiB over ${fmtS(windowS)}; ${context}`;
  } else if (!rises && slope + tAlpha * stdErr <= detectable && detectable <= maxDetectable) {
    // "No leak above X": the slope's upper confidence bound is below X, and X is small enough to mean something.
    verdict = 'stable';
    const why = !significant
      ? `no significant rise (p=${fmtP(pValue)})`
      : slope <= floorMB
        ? `below the ${fmt(floorMB)} MiB/min floor`
        : `rising, but only +${fmt(growthMB)} MiB over ${fmtS(windowS)}`;
    reason = `${why}; ${floorWhy}; ${context}`;
  } else {
    verdict = 'inconclusive';
    if (rises)
      reason = `rising ${slopeText}, but ${doubter!.tau !== undefined ? `a warm-up that levels off (τ ${fmtS(doubter!.tau * 60)})` : 'a straight line'} fits about as well with a slope of ${signedFmt(doubter!.slope)} ± ${fmt(doubter!.stdErr)} MiB/min: run longer to tell; ${context}`;
    else
      reason = `too noisy to tell: only a leak above ${fmt(detectable)} MiB/min would show, and stable needs ≤ ${fmt(maxDetectable)}; slope so far ${slopeText}; ${context}`;
  }
  return {
    metric,
    verdict,
    ...(verdict === 'inconclusive' ? { inconclusive: 'undetectable' as const } : {}),
    fitted: true,
    slopeMBPerMin: round(slope, 4),
    slopeStdErrMBPerMin: round(stdErr, 4),
    minDetectableMBPerMin: round(detectable, 3),
    growthMB: round(growthMB, 3),
    projectedMBPerHour: round(slope * 60, 2),
    pValue: Number(pValue.toPrecision(4)),
    samples: kept.length,
    warmupS: round(warmupS, 1),
    warmupFitted: fit.tau !== undefined,
    windowS: round(windowS, 1),
    levelMB: round(levelMB, 3),
    line: lineOf(kept[0].t, kept[kept.length - 1].t, kept[0].t + (warmupS - cut), fit.level, slope),
    reason,
  };
}

/** One-sided p-value of a t statistic (normal approximation of Student's t, fine for dof ≥ 3). */
function studentTUpperTail(t: number, dof: number): number {
  if (!Number.isFinite(t)) return t > 0 ? 0 : 1;
  if (!(dof >= 1)) return 1;
  const z = (t * (1 - 1 / (4 * dof))) / Math.sqrt(1 + (t * t) / (2 * dof));
  return 1 - normalCdf(z);
}

/** The fitted line level + slope·(t − first) from the window's start to its end (t in s, slope in MiB/min). */
function lineOf(
  firstS: number,
  lastS: number,
  fromS: number,
  level: number,
  slope: number,
): NonNullable<TrendVerdict['line']> {
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
