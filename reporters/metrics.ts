// Derived figures the renderers and the baseline comparison share, defined once.

import type { MemoryReport, ScenarioResult, TrendVerdict } from '../src/load/result.js';

type Countable = Pick<ScenarioResult, 'counters' | 'statusCodes' | 'errors'>;

const sum = (record: Record<string, number> | undefined) =>
  Object.values(record ?? {}).reduce((s, v) => s + v, 0);

export function totalErrors(result: Countable): number {
  return sum(result.errors);
}

/**
 * Operations attempted: `counters.requests` when the harness counts them, otherwise
 * `counters.operations`, otherwise answered statuses plus typed errors.
 */
export function operations(result: Countable): number {
  return result.counters.requests ?? result.counters.operations ?? sum(result.statusCodes) + totalErrors(result);
}

/** Errors ÷ operations (0 when nothing ran). */
export function errorRate(result: Countable): number {
  const ops = operations(result);
  return ops > 0 ? totalErrors(result) / ops : 0;
}

/** The memory trend that speaks for a run: post-GC heap when measured, else RSS. */
export function leadingTrend(trends: readonly TrendVerdict[]): TrendVerdict | undefined {
  return trends.find((t) => t.metric === 'postGcHeap' && t.verdict !== 'inconclusive')
    ?? trends.find((t) => t.metric === 'rss' && t.verdict !== 'inconclusive')
    ?? trends[0];
}

/** The trend whose slope a chart draws: the leading one, when a slope was fitted. */
export function fittedTrend(trends: readonly TrendVerdict[]): TrendVerdict | undefined {
  const fitted = trends.filter((t) => t.fitted ?? t.verdict !== 'inconclusive');
  return leadingTrend(fitted.filter((t) => t.verdict !== 'inconclusive')) ?? fitted[0];
}

/** Latency histograms (unit ms), the corrected one before its ".raw" twin. */
export function latencyHistogramNames(result: Pick<ScenarioResult, 'histograms'>): string[] {
  return Object.keys(result.histograms)
    .filter((name) => result.histograms[name]!.unit === 'ms')
    .sort((a, b) => a.localeCompare(b));
}

/**
 * Why a memory report is inconclusive, in a few words: "run too short" when a slope was
 * fitted but the judged window was below the minimum, "too few samples" otherwise.
 */
export function inconclusiveWhy(memory: Pick<MemoryReport, 'trends'>): string {
  if (memory.trends.some((t) => t.inconclusive === 'window')) return 'run too short for a trend verdict';
  if (memory.trends.length === 0) return 'no samples';
  return 'too few samples for a trend verdict';
}

/** "stable", "growing" or "not judged (run too short for a trend verdict)". */
export function memoryVerdictText(memory: Pick<MemoryReport, 'trends' | 'verdict'>): string {
  return memory.verdict === 'inconclusive' ? `not judged (${inconclusiveWhy(memory)})` : memory.verdict;
}
