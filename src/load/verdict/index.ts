// Verdicts derived from results, each computed in one place: the memory trend of a
// series, how verdicts combine, the fitted growth a check compares, the error rate, and
// regressions against a baseline. Matchers, renderers, the merge and the baseline
// comparison import from here.

// --- Memory trend of one series ---
export { judgeTrend } from './trend.js';
export type { TrendOptions, TrendPoint } from './trend.js';
export { fitLeakModel } from './leak-model.js';
export type { LeakFit, LeakFits } from './leak-model.js';

// --- Memory verdicts of a result ---
export {
  combineVerdicts,
  fittedGrowth,
  fittedTrend,
  formatSlope,
  inconclusiveWhy,
  isFitted,
  leadingTrend,
  memorySeries,
  memoryVerdictText,
  stableBound,
  trendLabel,
} from './memory.js';
export type { FittedGrowth } from './memory.js';

// --- Error rate ---
export { errorCount, errorRate, operations } from './errors.js';
export type { Countable, ErrorRateOptions } from './errors.js';

// --- Regressions against a baseline ---
export {
  comparedLatencies,
  compareScenario,
  DEFAULT_REGRESSION_OPTIONS,
  isComparableRate,
  knobDifferences,
  latencyStdErr,
  rateStdErr,
  resolveRegressionOptions,
  sharedMachineCaution,
  SHARED_MACHINE_BAND_FACTOR,
  SHARED_MACHINE_CORES,
} from './regression.js';
export type {
  ComparableResult,
  EffectBand,
  MetricDelta,
  RegressionOptions,
  RegressionOverrides,
  ScenarioComparison,
} from './regression.js';
