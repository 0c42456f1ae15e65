// What the renderers and the baseline comparison read of a result. Verdicts, the error
// rate and the memory texts come from the harness's verdict module (one place:
// src/load/verdict/), re-exported here; only reporter-side helpers are defined.

import type { ScenarioResult } from '../src/load/result.js';
import { errorCount } from '../src/load/verdict/errors.js';
import type { Countable } from '../src/load/verdict/errors.js';

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
} from '../src/load/verdict/index.js';

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
