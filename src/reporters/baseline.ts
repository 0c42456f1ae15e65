// Baseline comparison: an earlier results.json, read and checked, compared scenario by
// scenario with the harness's regression rule (src/load/verdict/regression.ts: a change
// is flagged beyond max(z × both runs' noise, a minimum effect)). Scenarios whose knobs
// differ from the baseline's (other than the run's length) are not compared: the
// comparison says which knobs, and the run goes on.

import {
  compareScenario,
  DEFAULT_REGRESSION_OPTIONS,
  knobDifferences,
  resolveRegressionOptions,
} from '../load/index.js';
import type { EffectBand, RegressionOptions, RegressionOverrides } from '../load/index.js';
import { RESULTS_SCHEMA } from './model.js';
import type { BaselineComparison, MergedScenario, MetricDelta, ResultsDocument } from './model.js';

/** The reporter's `noise` option: z and the minimum effect per kind of figure. */
export type NoiseOptions = RegressionOptions;
/** What a user may set of NoiseOptions: any band in part. */
export type NoiseOverrides = RegressionOverrides;
export type NoiseBand = EffectBand;
export const DEFAULT_NOISE = DEFAULT_REGRESSION_OPTIONS;
export const resolveNoise = resolveRegressionOptions;

/** Parses and checks a results.json text; throws an Error saying what is wrong. */
export function parseResultsDocument(text: string): ResultsDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON (${(error as Error).message})`);
  }
  const doc = value as Partial<ResultsDocument> | null;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
  if (doc.schema !== RESULTS_SCHEMA)
    throw new Error(`schema is ${JSON.stringify(doc.schema)}, expected "${RESULTS_SCHEMA}" (a Conduit results.json)`);
  if (!Array.isArray(doc.scenarios)) throw new Error('"scenarios" is not an array');
  for (const s of doc.scenarios) {
    if (typeof s?.scenario !== 'string' || typeof s.histograms !== 'object' || typeof s.throughput !== 'object') {
      throw new Error('a scenario lacks "scenario", "histograms" or "throughput"');
    }
  }
  return doc as ResultsDocument;
}

export function compareWithBaseline(
  scenarios: readonly MergedScenario[],
  baseline: ResultsDocument,
  source: string,
  options: RegressionOptions = resolveRegressionOptions(),
): BaselineComparison {
  const deltas: MetricDelta[] = [];
  const missing: string[] = [];
  const skipped: NonNullable<BaselineComparison['skipped']> = [];
  const cautions: NonNullable<BaselineComparison['cautions']> = [];
  for (const scenario of scenarios) {
    const base = baseline.scenarios.find((s) => s.scenario === scenario.scenario);
    if (!base) {
      missing.push(scenario.scenario);
      continue;
    }
    const knobs = knobDifferences(scenario, base);
    if (knobs.length > 0) {
      skipped.push({ scenario: scenario.scenario, why: `other knobs than the baseline: ${knobs.join(', ')}` });
      continue;
    }
    const compared = compareScenario(scenario, base, options);
    deltas.push(...compared.deltas);
    if (compared.caution) cautions.push({ scenario: scenario.scenario, why: compared.caution });
    for (const n of compared.notCompared) skipped.push({ scenario: scenario.scenario, metric: n.metric, why: n.why });
  }
  return {
    source,
    ...(baseline.meta?.generatedAt ? { generatedAt: baseline.meta.generatedAt } : {}),
    ...(baseline.meta?.gitSha ? { gitSha: baseline.meta.gitSha } : {}),
    deltas,
    missing,
    ...(skipped.length > 0 ? { skipped } : {}),
    ...(cautions.length > 0 ? { cautions } : {}),
  };
}
