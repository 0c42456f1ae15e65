// What the renderers and the baseline comparison read of a result. Verdicts, the error
// rate and the memory texts come from the harness's verdict module (one place:
// src/load/verdict/), re-exported here; only reporter-side helpers are defined.

import type { ScenarioResult } from '../load/index.js';
import { errorCount } from '../load/index.js';
import type { Countable } from '../load/index.js';

export {
  combineVerdicts,
  errorRate,
  fittedGrowth,
  fittedTrend,
  formatSlope,
  inconclusiveWhy,
  leadingTrend,
  memorySeries,
  memoryVerdictText,
  operations,
  stableBound,
  trendLabel,
} from '../load/index.js';

/** Every failed operation (no type excluded). */
export function totalErrors(result: Countable): number {
  return errorCount(result);
}

/** Latency histograms (unit ms), the corrected one before its ".raw" twin. */
export function latencyHistogramNames(result: Pick<ScenarioResult, 'histograms'>): string[] {
  return Object.keys(result.histograms)
    .filter((name) => result.histograms[name]!.unit === 'ms')
    .sort((a, b) => a.localeCompare(b));
}
