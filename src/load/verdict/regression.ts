// Regressions against a baseline, judged against both runs' own noise. A change is a
// regression when it is worse AND beyond max(z × its standard error, the minimum
// effect): noise alone does not flag, and neither does a real but negligible change.
//
// Standard error of each compared figure, per run (the two runs' are added in quadrature):
// - latency percentile: the larger of (a) its order-statistic uncertainty from the
//   histogram counts — the values at ranks ±1 standard deviation of the binomial rank
//   around the percentile — and (b) the batch-means error of that percentile over the
//   run's time slices (grouped until each holds enough samples; sd of the batch values ÷
//   √batches), which carries the run-to-run wobble of a shared machine that counts alone
//   do not. With fewer than 5 batches, (a) alone;
// - rate per second: the batch-means error of the per-slice rate (no slices: 0, the
//   minimum effect alone decides). Duration-dependent figures are not rates and are never compared;
// - error rate: two proportions (pooled);
// - memory slope: the two trends' slope standard errors.
// When either run shared its machine with other work (the machine view: other processes
// ≥ SHARED_MACHINE_CORES), every band is widened by SHARED_MACHINE_BAND_FACTOR and the
// comparison says so: one run's noise does not show what another process did to it.
import { decodeHistogram, percentile } from '../histogram.js';
import { mad } from '../internal/stats.js';
import type { MachineView, RunBatches, ScenarioResult, TrendVerdict } from '../result.js';
import { errorCount, errorRate, operations } from './errors.js';
import { leadingTrend } from './memory.js';

export interface EffectBand {
  /** Fraction of the baseline value below which a change is never flagged. */
  relative: number;
  /** Change, in the metric's unit, below which a change is never flagged. */
  absolute: number;
}

export interface RegressionOptions {
  /** Standard errors a change must exceed (per figure; ~3 keeps A/A pairs of ~15 figures quiet). @default 3 */
  z: number;
  /** Latency percentiles p50/p95/p99 (ms). @default { relative: 0.05, absolute: 0.1 } */
  latency: EffectBand;
  /** Rates per second (higher is better). @default { relative: 0.05, absolute: 0 } */
  throughput: EffectBand;
  /** Error rate as a fraction (0.005 = 0.5 percentage points). @default { relative: 0, absolute: 0.005 } */
  errorRate: EffectBand;
  /** Memory trend slope, MiB/min. @default { relative: 0, absolute: 0.5 } */
  memorySlope: EffectBand;
}

export const DEFAULT_REGRESSION_OPTIONS: Readonly<RegressionOptions> = Object.freeze({
  z: 3,
  latency: { relative: 0.05, absolute: 0.1 },
  throughput: { relative: 0.05, absolute: 0 },
  errorRate: { relative: 0, absolute: 0.005 },
  memorySlope: { relative: 0, absolute: 0.5 },
});

/** Overrides of RegressionOptions: any band in part (the rest of it keeps its default). */
export type RegressionOverrides = { z?: number } & {
  [K in Exclude<keyof RegressionOptions, 'z'>]?: Partial<EffectBand>;
};

/** Options merged over the defaults, band by band and field by field. */
export function resolveRegressionOptions(overrides: RegressionOverrides = {}): RegressionOptions {
  const band = (k: Exclude<keyof RegressionOptions, 'z'>): EffectBand => ({
    ...DEFAULT_REGRESSION_OPTIONS[k],
    ...overrides[k],
  });
  return {
    z: overrides.z ?? DEFAULT_REGRESSION_OPTIONS.z,
    latency: band('latency'),
    throughput: band('throughput'),
    errorRate: band('errorRate'),
    memorySlope: band('memorySlope'),
  };
}

/** A compared figure against the baseline. */
export interface MetricDelta {
  scenario: string;
  /** e.g. "http.latency p99", "throughput requestsPerS", "error rate", "memory slope (postGcHeap)" */
  metric: string;
  unit: string;
  baseline: number;
  current: number;
  /** current − baseline */
  delta: number;
  /** delta / baseline (0 when both are 0). */
  relative: number;
  /** The band a change must exceed to be flagged: max(z × noiseStdErr, the minimum effect). */
  allowed: number;
  /** Standard error of the difference from both runs' noise (0 when unknown). */
  noiseStdErr?: number;
  /** 'worse' and 'better' are beyond the band; 'same' is within it. */
  change: 'worse' | 'better' | 'same';
  regression: boolean;
}

/** What a comparison reads of a result (a ScenarioResult or a merged scenario). */
export type ComparableResult = Pick<
  ScenarioResult,
  'scenario' | 'histograms' | 'throughput' | 'counters' | 'errors' | 'statusCodes' | 'memory' | 'config'
> & {
  batches?: RunBatches;
  /** The machine view says whether the run had its machine to itself. */
  generator?: { machine?: MachineView };
};

/**
 * Cores other processes may take before a run counts as sharing its machine. Calibrated
 * on this project's 2-core machine (bench/baseline-calibration.ts): a quiet machine
 * showed 0.00–0.14 cores of other processes (Vitest's main process among them); a
 * background job of 0.3–0.4 cores already moved A/A pairs beyond their bands.
 */
export const SHARED_MACHINE_CORES = 0.25;
/**
 * How much wider every band is when a run shared its machine. Same calibration: A/A pairs
 * with such a run moved up to 1.6× their band; +5 ms on every answer moved 10× and more.
 */
export const SHARED_MACHINE_BAND_FACTOR = 2;

/**
 * Why a comparison of these two runs needs care, when one of them shared its machine
 * with other work (the machine view in generator health): its figures then moved with
 * that work, which the noise bands of a single run do not carry. Undefined when neither
 * did, or a run has no machine view.
 */
export function sharedMachineCaution(
  current: { generator?: { machine?: MachineView } },
  base: { generator?: { machine?: MachineView } },
): string | undefined {
  const shared = (m: MachineView | undefined) => m !== undefined && m.otherCores >= SHARED_MACHINE_CORES;
  const which = [
    ...(shared(base.generator?.machine)
      ? [`the baseline run (other processes ${base.generator!.machine!.otherCores.toFixed(2)} cores)`]
      : []),
    ...(shared(current.generator?.machine)
      ? [`this run (other processes ${current.generator!.machine!.otherCores.toFixed(2)} cores)`]
      : []),
  ];
  if (which.length === 0) return undefined;
  return `${which.join(' and ')} shared the machine with other work: every band ×${SHARED_MACHINE_BAND_FACTOR}`;
}

/** Rate → the batch counter whose per-slice counts give its noise, and the unit factor. */
const RATE_COUNTERS: Record<string, { counter: string; scale: number }> = {
  requestsPerS: { counter: 'requests', scale: 1 },
  MBPerS: { counter: 'bytes', scale: 1 / (1024 * 1024) },
  messagesPerS: { counter: 'ws.deliveries', scale: 1 },
  uploadsPerS: { counter: 'upload.files', scale: 1 },
};

/** Rates a comparison may compare: per-second figures whose value does not depend on the run's length. */
export function isComparableRate(key: string): boolean {
  return key in RATE_COUNTERS;
}

/** Knobs that may differ between runs that are compared (the run's length; bookkeeping). */
const FREE_KNOBS = /^(duration|mergedSources$|workloadFailures$|interrupted$)/;

/** The knobs two results differ in (ignoring the run's length), as "clients 100 → 50". */
export function knobDifferences(
  current: Pick<ScenarioResult, 'config'>,
  base: Pick<ScenarioResult, 'config'>,
): string[] {
  const keys = new Set([...Object.keys(current.config ?? {}), ...Object.keys(base.config ?? {})]);
  const out: string[] = [];
  for (const key of [...keys].sort()) {
    if (FREE_KNOBS.test(key)) continue;
    const a = JSON.stringify(base.config?.[key]);
    const b = JSON.stringify(current.config?.[key]);
    if (a !== b) out.push(`${key} ${a ?? 'unset'} → ${b ?? 'unset'}`);
  }
  return out;
}

/** Latency histograms compared: ms histograms, without the uncorrected `.raw` twins and the scheduler's `.startLag`. */
export function comparedLatencies(result: Pick<ScenarioResult, 'histograms'>): string[] {
  return Object.keys(result.histograms)
    .filter(
      (name) =>
        result.histograms[name]!.unit === 'ms' &&
        !/\.(raw|startLag)$/.test(name) &&
        result.histograms[name]!.summary.count > 0,
    )
    .sort((a, b) => a.localeCompare(b));
}

export interface ScenarioComparison {
  deltas: MetricDelta[];
  /** Figures present in both runs but not compared, and why. */
  notCompared: Array<{ metric: string; why: string }>;
  /**
   * Set when a run shared its machine (sharedMachineCaution): the bands, which hold for
   * two runs that differ only by the change, were widened by SHARED_MACHINE_BAND_FACTOR.
   */
  caution?: string;
}

/** Slices with samples a histogram needs for its run-to-run noise to be estimated. */
const MIN_REPLICATED_SLICES = 5;

export function compareScenario(
  current: ComparableResult,
  base: ComparableResult,
  options: RegressionOptions = resolveRegressionOptions(),
): ScenarioComparison {
  const out: MetricDelta[] = [];
  const notCompared: ScenarioComparison['notCompared'] = [];
  const caution = sharedMachineCaution(current, base);
  const widen = caution ? SHARED_MACHINE_BAND_FACTOR : 1;
  const push = (
    metric: string,
    unit: string,
    b: number,
    c: number,
    se: number,
    band: EffectBand,
    higherIsWorse: boolean,
  ) => out.push(delta(current.scenario, metric, unit, b, c, se, band, options.z, higherIsWorse, widen));

  for (const name of comparedLatencies(current)) {
    if (base.histograms[name]?.unit !== 'ms' || !(base.histograms[name]!.summary.count > 0)) continue;
    // A histogram recorded in a burst (every subscriber connecting at the start) has no
    // slice-to-slice noise to go by, and its run-to-run spread is large: not compared.
    const slices = Math.min(slicesWithSamples(current, name), slicesWithSamples(base, name));
    if (slices < MIN_REPLICATED_SLICES) {
      notCompared.push({
        metric: name,
        why: `recorded within ${slices} time slice${slices === 1 ? '' : 's'} of the run: no run-to-run noise to judge it by`,
      });
      continue;
    }
    for (const p of [50, 95, 99] as const) {
      const key = `p${p}` as const;
      const se = Math.hypot(latencyStdErr(current, name, p), latencyStdErr(base, name, p));
      push(
        `${name} ${key}`,
        'ms',
        base.histograms[name]!.summary[key],
        current.histograms[name]!.summary[key],
        se,
        options.latency,
        true,
      );
    }
  }
  for (const [key, value] of Object.entries(current.throughput)) {
    const b = base.throughput[key];
    if (!isComparableRate(key) || typeof b !== 'number') continue;
    push(
      `throughput ${key}`,
      key,
      b,
      value,
      Math.hypot(rateStdErr(current, key), rateStdErr(base, key)),
      options.throughput,
      false,
    );
  }
  if (base.counters && base.errors) {
    const pc = errorRate(current),
      pb = errorRate(base);
    const nc = operations(current),
      nb = operations(base);
    const pooled = nc + nb > 0 ? Math.min(1, (errorCount(current) + errorCount(base)) / (nc + nb)) : 0;
    const se = nc > 0 && nb > 0 ? Math.sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nb)) : 0;
    push('error rate', 'ratio', pb, pc, se, options.errorRate, true);
  }
  const ct = judgedTrend(current.memory?.trends ?? []);
  const bt = ct ? judgedTrend((base.memory?.trends ?? []).filter((t) => t.metric === ct.metric)) : undefined;
  if (ct && bt) {
    const se = Math.hypot(ct.slopeStdErrMBPerMin ?? 0, bt.slopeStdErrMBPerMin ?? 0);
    push(`memory slope (${ct.metric})`, 'MiB/min', bt.slopeMBPerMin, ct.slopeMBPerMin, se, options.memorySlope, true);
  }
  return caution ? { deltas: out, notCompared, caution } : { deltas: out, notCompared };
}

/** Time slices in which `name` recorded samples; Infinity for results without slices (older runs: nothing to go by). */
function slicesWithSamples(result: ComparableResult, name: string): number {
  const counts = result.batches?.latency[name]?.count;
  if (!result.batches) return Infinity;
  return counts ? counts.filter((c) => c > 0).length : 0;
}

function judgedTrend(trends: readonly TrendVerdict[]): TrendVerdict | undefined {
  const lead = leadingTrend(trends.filter((t) => t.verdict !== 'inconclusive'));
  return lead;
}

function delta(
  scenario: string,
  metric: string,
  unit: string,
  baseline: number,
  current: number,
  se: number,
  band: EffectBand,
  z: number,
  higherIsWorse: boolean,
  widen: number,
): MetricDelta {
  const diff = current - baseline;
  const allowed = widen * Math.max(z * se, band.relative * Math.abs(baseline), band.absolute);
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
    noiseStdErr: se,
    change,
    regression: change === 'worse',
  };
}

/** Standard error of one run's percentile `p` of `name` (see the module header). */
export function latencyStdErr(result: ComparableResult, name: string, p: 50 | 95 | 99): number {
  const record = result.histograms[name];
  if (!record || record.summary.count === 0) return 0;
  const n = record.summary.count;
  const q = p / 100;
  const spread = 100 * Math.sqrt((q * (1 - q)) / n);
  const histogram = decodeHistogram(record.encoded);
  const orderStat =
    (percentile(histogram, Math.min(100, p + spread)) - percentile(histogram, Math.max(0, p - spread))) / 2;
  // Batch values: the percentile over groups of slices with enough samples (batches.ts).
  const values = result.batches?.latency[name]?.[`p${p}`] ?? [];
  const batchMeans = values.length >= 5 ? (1.4826 * mad(values)) / Math.sqrt(values.length) : 0;
  return Math.max(orderStat, batchMeans);
}

/** Standard error of one run's rate `key` per second from its per-slice counts (0 when it has none). */
export function rateStdErr(result: ComparableResult, key: string): number {
  const spec = RATE_COUNTERS[key];
  const counts = spec ? result.batches?.counts[spec.counter] : undefined;
  if (!spec || !counts || counts.length < 5 || !result.batches) return 0;
  const rates = counts.map((c) => (c * spec.scale) / result.batches!.widthS);
  return (1.4826 * mad(rates)) / Math.sqrt(rates.length);
}
