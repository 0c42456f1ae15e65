// Derived figures the renderers and the baseline comparison share, defined once.

import type { ScenarioResult, TrendVerdict } from '../src/load/result.js';

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

/** Latency histograms (unit ms), the corrected one before its ".raw" twin. */
export function latencyHistogramNames(result: Pick<ScenarioResult, 'histograms'>): string[] {
  return Object.keys(result.histograms)
    .filter((name) => result.histograms[name]!.unit === 'ms')
    .sort((a, b) => a.localeCompare(b));
}
