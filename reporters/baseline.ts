// Baseline comparison: deltas per metric against an earlier results.json, and regression
// flags beyond run-to-run noise. Noise is explicit: a change is noise while
// |current − baseline| ≤ max(relative × |baseline|, absolute), per metric kind.

import { rateUnit } from '../src/load/format.js';
import { RESULTS_SCHEMA } from './model.js';
import type { BaselineComparison, MergedScenario, MetricDelta, ResultsDocument } from './model.js';
import { errorRate, latencyHistogramNames, leadingTrend } from './metrics.js';

export interface NoiseBand {
  /** Fraction of the baseline value inside which a change is noise. */
  relative: number;
  /** Absolute change (in the metric's unit) inside which a change is noise. */
  absolute: number;
}

export interface NoiseOptions {
  /** Latency percentiles p50/p95/p99 (ms). @default { relative: 0.1, absolute: 1 } */
  latency: NoiseBand;
  /** Each throughput rate (higher is better). @default { relative: 0.1, absolute: 0 } */
  throughput: NoiseBand;
  /** Error rate as a fraction (0.005 = 0.5 percentage points). @default { relative: 0.25, absolute: 0.005 } */
  errorRate: NoiseBand;
  /** Memory trend slope, MiB/min. @default { relative: 0.5, absolute: 0.5 } */
  memorySlope: NoiseBand;
}

export const DEFAULT_NOISE: Readonly<NoiseOptions> = Object.freeze({
  latency: { relative: 0.1, absolute: 1 },
  throughput: { relative: 0.1, absolute: 0 },
  errorRate: { relative: 0.25, absolute: 0.005 },
  memorySlope: { relative: 0.5, absolute: 0.5 },
});

export function resolveNoise(overrides: Partial<NoiseOptions> = {}): NoiseOptions {
  const pick = (k: keyof NoiseOptions): NoiseBand => ({ ...DEFAULT_NOISE[k], ...overrides[k] });
  return { latency: pick('latency'), throughput: pick('throughput'), errorRate: pick('errorRate'), memorySlope: pick('memorySlope') };
}

/** Parses and checks a results.json text; throws an Error saying what is wrong. */
export function parseResultsDocument(text: string): ResultsDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON (${(error as Error).message})`);
  }
  const doc = value as Partial<ResultsDocument> | null;
  if (typeof doc !== 'object' || doc === null) throw new Error('not a JSON object');
  if (doc.schema !== RESULTS_SCHEMA) throw new Error(`schema is ${JSON.stringify(doc.schema)}, expected "${RESULTS_SCHEMA}"`);
  if (!Array.isArray(doc.scenarios)) throw new Error('"scenarios" is not an array');
  for (const s of doc.scenarios) {
    if (typeof s?.scenario !== 'string' || typeof s.histograms !== 'object' || typeof s.throughput !== 'object') {
      throw new Error('a scenario lacks "scenario", "histograms" or "throughput"');
    }
  }
  return doc as ResultsDocument;
}

function delta(
  scenario: string,
  metric: string,
  unit: string,
  baseline: number,
  current: number,
  band: NoiseBand,
  higherIsWorse: boolean,
): MetricDelta {
  const diff = current - baseline;
  const allowed = Math.max(band.relative * Math.abs(baseline), band.absolute);
  const beyond = Math.abs(diff) > allowed;
  const worse = higherIsWorse ? diff > 0 : diff < 0;
  const change = !beyond ? 'same' : worse ? 'worse' : 'better';
  return {
    scenario,
    metric,
    unit,
    baseline,
    current,
    delta: diff,
    relative: baseline !== 0 ? diff / Math.abs(baseline) : diff === 0 ? 0 : Math.sign(diff),
    allowed,
    change,
    regression: change === 'worse',
  };
}

export function compareScenario(current: MergedScenario, base: MergedScenario, noise: NoiseOptions): MetricDelta[] {
  const out: MetricDelta[] = [];
  const name = current.scenario;
  for (const hist of latencyHistogramNames(current)) {
    const b = base.histograms[hist];
    if (!b || b.unit !== 'ms') continue;
    const c = current.histograms[hist]!;
    for (const p of ['p50', 'p95', 'p99'] as const) {
      out.push(delta(name, `${hist} ${p}`, 'ms', b.summary[p], c.summary[p], noise.latency, true));
    }
  }
  for (const [key, value] of Object.entries(current.throughput)) {
    const b = base.throughput[key];
    if (typeof b === 'number') out.push(delta(name, `throughput ${key}`, rateUnit(key), b, value, noise.throughput, false));
  }
  if (base.counters && base.errors) {
    out.push(delta(name, 'error rate', 'ratio', errorRate(base), errorRate(current), noise.errorRate, true));
  }
  const ct = leadingTrend(current.memory?.trends ?? []);
  const bt = (base.memory?.trends ?? []).find((t) => t.metric === ct?.metric);
  if (ct && bt && ct.verdict !== 'inconclusive' && bt.verdict !== 'inconclusive') {
    out.push(delta(name, `memory slope (${ct.metric})`, 'MiB/min', bt.slopeMBPerMin, ct.slopeMBPerMin, noise.memorySlope, true));
  }
  return out;
}

export function compareWithBaseline(
  scenarios: readonly MergedScenario[],
  baseline: ResultsDocument,
  source: string,
  noise: NoiseOptions = resolveNoise(),
): BaselineComparison {
  const deltas: MetricDelta[] = [];
  const missing: string[] = [];
  for (const scenario of scenarios) {
    const base = baseline.scenarios.find((s) => s.scenario === scenario.scenario);
    if (!base) missing.push(scenario.scenario);
    else deltas.push(...compareScenario(scenario, base, noise));
  }
  return {
    source,
    ...(baseline.meta?.generatedAt ? { generatedAt: baseline.meta.generatedAt } : {}),
    ...(baseline.meta?.gitSha ? { gitSha: baseline.meta.gitSha } : {}),
    deltas,
    missing,
  };
}
