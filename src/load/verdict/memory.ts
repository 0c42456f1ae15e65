// Memory verdicts of a whole result: the series a trend is judged on, how several
// verdicts combine (trends of one target, sources of a merged scenario, scenarios of a
// run — one rule for all three), which trend speaks for a run, and the fitted growth a
// growth check compares. The matchers, the renderers, the merge and the baseline read
// these and nothing else.
import type { MemoryReport, MemorySample, TrendVerdict, TrendVerdictKind } from '../result.js';
import type { TrendPoint } from './trend.js';

const MiB = 1024 * 1024;

/**
 * Trend points of one memory metric. RSS: every sample. Post-GC heap: every sample that
 * carries a reading (the sampler attaches only new ones). Results written before
 * `MemoryReport.heap` existed (and bare sample lists) repeat the last reading on every
 * sample: there a repeated value is the same full GC, kept once when it first appeared.
 */
export function memorySeries(
  memory: Pick<MemoryReport, 'samples' | 'heap'> | readonly MemorySample[],
  metric: TrendVerdict['metric'],
): TrendPoint[] {
  const samples = Array.isArray(memory)
    ? (memory as readonly MemorySample[])
    : (memory as Pick<MemoryReport, 'samples'>).samples;
  const legacy = Array.isArray(memory) || (memory as Pick<MemoryReport, 'heap'>).heap === undefined;
  const key = metric === 'rss' ? 'rssBytes' : 'postGcHeapBytes';
  const points: TrendPoint[] = [];
  let last: number | undefined;
  for (const s of samples) {
    const value = s[key];
    if (typeof value !== 'number' || !(value > 0)) continue;
    if (legacy && metric === 'postGcHeap' && value === last) continue;
    last = value;
    points.push({ t: s.t, value });
  }
  return points;
}

/**
 * The one rule for combining verdicts: `growing` if any grows; else `stable` if any
 * could be judged stable (the rest not judged); else `inconclusive`.
 */
export function combineVerdicts(verdicts: readonly TrendVerdictKind[]): TrendVerdictKind {
  if (verdicts.includes('growing')) return 'growing';
  if (verdicts.includes('stable')) return 'stable';
  return 'inconclusive';
}

/** The memory trend that speaks for a run: post-GC heap when it could be judged, else RSS, else the first. */
export function leadingTrend(trends: readonly TrendVerdict[]): TrendVerdict | undefined {
  const growing = trends.find((t) => t.verdict === 'growing');
  return (
    growing ??
    trends.find((t) => t.metric === 'postGcHeap' && t.verdict !== 'inconclusive') ??
    trends.find((t) => t.metric === 'rss' && t.verdict !== 'inconclusive') ??
    trends[0]
  );
}

/** The trend whose slope a chart draws: the leading one when a slope was fitted, else any fitted one. */
export function fittedTrend(trends: readonly TrendVerdict[]): TrendVerdict | undefined {
  const fitted = trends.filter(isFitted);
  const lead = leadingTrend(trends);
  return lead && isFitted(lead) ? lead : fitted[0];
}

export function isFitted(trend: TrendVerdict): boolean {
  return trend.fitted ?? trend.verdict !== 'inconclusive';
}

export interface FittedGrowth {
  /** Slope × the judged window, bytes. */
  growthBytes: number;
  windowS: number;
  /** Median of the judged values, bytes. */
  levelBytes: number;
}

/** The fitted growth of a trend over its judged window, or undefined when no slope was fitted. */
export function fittedGrowth(trend: TrendVerdict | undefined): FittedGrowth | undefined {
  if (!trend || !isFitted(trend) || trend.windowS === undefined || trend.levelMB === undefined) return undefined;
  const growthMB = trend.growthMB ?? trend.slopeMBPerMin * (trend.windowS / 60);
  return { growthBytes: growthMB * MiB, windowS: trend.windowS, levelBytes: trend.levelMB * MiB };
}

/**
 * Why a memory report could not be judged, in a few words. Every trend that was fitted
 * is "too noisy" (or, in older results, "too short"); otherwise there were too few readings.
 */
export function inconclusiveWhy(memory: Pick<MemoryReport, 'trends'>): string {
  if (memory.trends.length === 0) return 'no samples';
  const undetectable = memory.trends.filter((t) => t.inconclusive === 'undetectable');
  if (undetectable.length > 0) {
    const mds = Math.min(...undetectable.map((t) => t.minDetectableMBPerMin ?? Infinity));
    return Number.isFinite(mds)
      ? `too noisy to rule out a leak below ${formatSlope(mds)}`
      : 'too noisy for a trend verdict';
  }
  if (memory.trends.some((t) => t.inconclusive === 'window')) return 'run too short for a trend verdict';
  return 'too few readings for a trend verdict';
}

/** "stable (no leak above 0.25 MiB/min)", "growing (+5.26 MiB/min)" or "not judged (…)". */
export function memoryVerdictText(memory: Pick<MemoryReport, 'trends' | 'verdict'>): string {
  if (memory.verdict === 'inconclusive') return `not judged (${inconclusiveWhy(memory)})`;
  const lead = leadingTrend(memory.trends.filter((t) => t.verdict === memory.verdict));
  if (!lead) return memory.verdict;
  if (memory.verdict === 'growing')
    return `growing (${lead.slopeMBPerMin > 0 ? '+' : ''}${formatSlope(lead.slopeMBPerMin)} on ${trendLabel(lead.metric)})`;
  return lead.minDetectableMBPerMin !== undefined
    ? `stable (no leak above ${formatSlope(lead.minDetectableMBPerMin)} on ${trendLabel(lead.metric)})`
    : 'stable';
}

/**
 * The leak rate a set of stable memory reports rules out together: the largest of their
 * leading trends' minimum detectable slopes (undefined when none states one).
 */
export function stableBound(memories: ReadonlyArray<Pick<MemoryReport, 'trends' | 'verdict'>>): number | undefined {
  const bounds = memories
    .filter((m) => m.verdict === 'stable')
    .map((m) => leadingTrend(m.trends.filter((t) => t.verdict === 'stable'))?.minDetectableMBPerMin)
    .filter((b): b is number => typeof b === 'number');
  return bounds.length > 0 ? Math.max(...bounds) : undefined;
}

export function trendLabel(metric: TrendVerdict['metric']): string {
  return metric === 'postGcHeap' ? 'post-GC heap' : 'RSS';
}

/** "0.25 MiB/min", "5.3 MiB/min", "12 MiB/min". */
export function formatSlope(mibPerMin: number): string {
  const a = Math.abs(mibPerMin);
  const text = a >= 10 ? mibPerMin.toFixed(0) : a >= 1 ? mibPerMin.toFixed(1) : mibPerMin.toFixed(2);
  return `${text} MiB/min`;
}
