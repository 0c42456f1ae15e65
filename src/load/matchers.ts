// Thresholds as Vitest matchers: a breach is an ordinary test failure whose message
// states the measured figure and the allowed one. Every evaluation is also appended to
// `result.thresholds`, so the reporters list passed checks as well as failed ones.
//
//   installMatchers();
//   expect.soft(result).toHaveLatencyPercentileBelow('upload.latency', 95, 5000);
import { expect } from 'vitest';
import type { MatcherState } from 'vitest';
import { formatPercent, rateUnit } from './format.js';
import { decodeHistogram, percentile } from './histogram.js';
import type { ScenarioResult, ThresholdOutcome, TrendVerdict } from './result.js';
import { errorCount, errorRate, operations } from './verdict/errors.js';
import type { ErrorRateOptions } from './verdict/errors.js';
import { fittedGrowth, fittedTrend, isFitted, memoryVerdictText, trendLabel } from './verdict/memory.js';

const MiB = 1024 * 1024;

export type { ErrorRateOptions };
export interface SuccessRateOptions {
  /** Counter of successes. @default requests − errors */
  success?: string;
  /** Counter of attempts. @default 'requests' */
  total?: string;
  /** Label in messages. */
  label?: string;
}
export interface StableMemoryOptions {
  /** Judge one trend only; default: the overall verdict (growing if any trend grows). */
  metric?: TrendVerdict['metric'];
  /** Pass when the verdict is inconclusive (too few samples). @default true */
  allowInconclusive?: boolean;
}
export interface MemoryGrowthLimit {
  /** Maximum growth in bytes. */
  bytes?: number;
  /** Maximum growth as a fraction of the median level (0.1 = 10 %). */
  fraction?: number;
  /** @default the trend the memory verdict speaks with: post-GC heap when it was fitted, else RSS */
  metric?: TrendVerdict['metric'];
}
export interface LedgerOptions {
  /** Also fail on duplicated deliveries. @default false */
  noDuplicates?: boolean;
}

interface ConduitMatchers<R = unknown> {
  /** Value of `metric`'s histogram at `percentile` (e.g. 95, 99.9) is below `ms`. */
  toHaveLatencyPercentileBelow(metric: string, percentile: number, ms: number): R;
  /** errors / requests below `rate` (0.01 = 1 %). */
  toHaveErrorRateBelow(rate: number, options?: ErrorRateOptions): R;
  /** The memory trend verdict is not `growing`. */
  toHaveStableMemory(options?: StableMemoryOptions): R;
  /**
   * Memory grew less than a limit: the trend's fitted slope × the judged window after the warm-up
   * (post-GC heap when the target reports it, else RSS). Passes as "not judged" when too
   * few samples exist for a fit.
   */
  toHaveMemoryGrowthBelow(limit: MemoryGrowthLimit): R;
  /** The delivery ledger lost nothing. */
  toHaveNoLostMessages(options?: LedgerOptions): R;
  /** success / total at least `rate`. */
  toHaveSuccessRateAtLeast(rate: number, options?: SuccessRateOptions): R;
  /** `result.throughput[key]` at least `min` (e.g. 'messagesPerS', 5). */
  toHaveThroughputAtLeast(key: string, min: number): R;
  /** `result.counters[name]` at least `min` (e.g. 'requests', 1000). */
  toHaveCounterAtLeast(name: string, min: number): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type
  // biome-ignore lint/suspicious/noExplicitAny: must match vitest's own declaration of Matchers<T = any> to merge with it
  interface Matchers<T = any> extends ConduitMatchers<T> {}
}

type Check = { pass: boolean; outcome: Omit<ThresholdOutcome, 'passed'> };

function record(state: MatcherState, result: ScenarioResult, check: Check) {
  const passed = state.isNot ? !check.pass : check.pass;
  const outcome: ThresholdOutcome = { ...check.outcome, passed };
  if (Array.isArray(result.thresholds)) result.thresholds.push(outcome);
  return {
    pass: check.pass,
    message: () => (state.isNot ? `expected the threshold to fail: ${outcome.message}` : outcome.message),
    actual: outcome.measured,
    expected: outcome.allowed,
  };
}

function asResult(received: unknown): ScenarioResult {
  const r = received as ScenarioResult;
  if (!r || typeof r !== 'object' || typeof r.schema !== 'string' || !r.histograms) {
    throw new TypeError('Conduit matchers expect a ScenarioResult (from buildScenarioResult)');
  }
  return r;
}

const fmt = (x: number, digits = 2) => (Number.isInteger(x) ? String(x) : x.toFixed(digits));
const pct = formatPercent;

export const conduitMatchers = {
  toHaveLatencyPercentileBelow(this: MatcherState, received: unknown, metric: string, p: number, ms: number) {
    const result = asResult(received);
    const name = `${metric} p${p} < ${fmt(ms)} ms`;
    const record_ = result.histograms[metric];
    if (!record_ || record_.summary.count === 0) {
      const have = Object.keys(result.histograms).join(', ') || 'none';
      return record(this, result, {
        pass: false,
        outcome: {
          name,
          measured: 'no samples',
          allowed: ms,
          unit: 'ms',
          comparator: '<',
          message: `${name}: histogram "${metric}" has no samples (histograms: ${have})`,
        },
      });
    }
    const measured = percentile(decodeHistogram(record_.encoded), p);
    const pass = measured < ms;
    return record(this, result, {
      pass,
      outcome: {
        name,
        measured: round(measured),
        allowed: ms,
        unit: 'ms',
        comparator: '<',
        message: `${name}: measured ${fmt(measured)} ms, allowed < ${fmt(ms)} ms (${record_.summary.count} samples)`,
      },
    });
  },

  toHaveErrorRateBelow(this: MatcherState, received: unknown, rate: number, options: ErrorRateOptions = {}) {
    const result = asResult(received);
    const ops = operations(result);
    const errors = errorCount(result, options);
    const measured = errorRate(result, options);
    const types =
      Object.entries(result.errors)
        .map(([k, n]) => `${k}=${n}`)
        .join(', ') || 'none';
    const excluded = options.exclude?.length ? ` (not counting ${options.exclude.join(', ')})` : '';
    const name = `error rate${excluded} < ${pct(rate)}`;
    // A run that made no operations has no error rate: 0 % would be a pass for a run that sent no load.
    return record(this, result, {
      pass: ops > 0 && measured < rate,
      outcome: {
        name,
        measured: round(measured, 6),
        allowed: rate,
        unit: 'ratio',
        comparator: '<',
        message:
          ops > 0
            ? `${name}: measured ${pct(measured)} (${errors} errors / ${ops} operations; ${types}), allowed < ${pct(rate)}`
            : `${name}: no operations were made (${errors} errors; ${types}), so there is no error rate to judge`,
      },
    });
  },

  toHaveSuccessRateAtLeast(this: MatcherState, received: unknown, rate: number, options: SuccessRateOptions = {}) {
    const result = asResult(received);
    const total = result.counters[options.total ?? 'requests'] ?? 0;
    const success = options.success ? (result.counters[options.success] ?? 0) : total - errorCount(result);
    const measured = total > 0 ? success / total : 0;
    const label = options.label ?? `${options.success ?? 'success'} / ${options.total ?? 'requests'}`;
    const name = `${label} ≥ ${pct(rate)}`;
    return record(this, result, {
      pass: total > 0 && measured >= rate,
      outcome: {
        name,
        measured: round(measured, 6),
        allowed: rate,
        unit: 'ratio',
        comparator: '≥',
        message: `${name}: measured ${pct(measured)} (${success} of ${total}), allowed ≥ ${pct(rate)}`,
      },
    });
  },

  toHaveThroughputAtLeast(this: MatcherState, received: unknown, key: string, min: number) {
    const result = asResult(received);
    const measured = result.throughput[key] ?? 0;
    const unit = rateUnit(key);
    const name = `${key} ≥ ${fmt(min)} ${unit}`;
    return record(this, result, {
      pass: measured >= min,
      outcome: {
        name,
        measured,
        allowed: min,
        unit,
        comparator: '≥',
        message: `${name}: measured ${fmt(measured)} ${unit}, allowed ≥ ${fmt(min)} ${unit}`,
      },
    });
  },

  toHaveCounterAtLeast(this: MatcherState, received: unknown, counter: string, min: number) {
    const result = asResult(received);
    const measured = result.counters[counter] ?? 0;
    const name = `${counter} ≥ ${fmt(min)}`;
    return record(this, result, {
      pass: measured >= min,
      outcome: {
        name,
        measured,
        allowed: min,
        comparator: '≥',
        message: `${name}: measured ${fmt(measured)}, allowed ≥ ${fmt(min)}`,
      },
    });
  },

  toHaveStableMemory(this: MatcherState, received: unknown, options: StableMemoryOptions = {}) {
    const result = asResult(received);
    const allowInconclusive = options.allowInconclusive ?? true;
    const trends = options.metric
      ? result.memory.trends.filter((t) => t.metric === options.metric)
      : result.memory.trends;
    // One metric: its own verdict; all: the memory report's overall verdict (one rule, verdict/memory.ts).
    const verdict = options.metric ? (trends[0]?.verdict ?? 'inconclusive') : result.memory.verdict;
    const text = memoryVerdictText({ trends, verdict });
    const details =
      trends
        .map(
          (t) =>
            `${trendLabel(t.metric)}: ${t.verdict}${isFitted(t) ? `, ${fmt(t.slopeMBPerMin, 3)} MiB/min (${fmt(t.projectedMBPerHour, 1)} MiB/h)` : ''}, ${t.reason}`,
        )
        .join('; ') || `no memory samples (source ${result.memory.source})`;
    const pass = verdict === 'stable' || (verdict === 'inconclusive' && allowInconclusive);
    const name = `memory ${options.metric ? trendLabel(options.metric) : 'trend'} stable`;
    const allowed = allowInconclusive ? 'stable or not judged' : 'stable';
    return record(this, result, {
      pass,
      outcome: {
        name,
        measured: verdict === 'inconclusive' ? 'not judged' : verdict,
        allowed,
        message: `${name}: ${text}, allowed ${allowed} — ${details}`,
      },
    });
  },

  toHaveMemoryGrowthBelow(this: MatcherState, received: unknown, limit: MemoryGrowthLimit) {
    const result = asResult(received);
    // By default the trend the memory verdict and its chart speak with (verdict/memory.ts).
    const metric = limit.metric ?? fittedTrend(result.memory.trends)?.metric ?? 'postGcHeap';
    const trend = result.memory.trends.find((t) => t.metric === metric);
    const limits = [
      limit.bytes !== undefined ? `${fmt(limit.bytes / MiB, 1)} MiB` : '',
      limit.fraction !== undefined ? `${pct(limit.fraction)} of its level` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    const label = trendLabel(metric);
    const name = `${label} growth < ${limits}`;
    // The trend's own fitted growth over its judged window (verdict/memory.ts): the
    // figure the memory verdict printed beside this check is the same one.
    const fit = fittedGrowth(trend);
    if (!fit || !trend) {
      const why = trend?.reason ?? `no ${label} samples (memory source ${result.memory.source})`;
      return record(this, result, {
        pass: true,
        outcome: {
          name,
          measured: 'not judged',
          allowed: `< ${limits}`,
          message: `${name}: not judged (passes) — ${why}`,
        },
      });
    }
    const allowedBytes = Math.min(
      limit.bytes ?? Infinity,
      limit.fraction !== undefined ? limit.fraction * fit.levelBytes : Infinity,
    );
    const pass = fit.growthBytes < allowedBytes;
    return record(this, result, {
      pass,
      outcome: {
        name,
        measured: round(fit.growthBytes / MiB),
        allowed: round(allowedBytes / MiB),
        unit: 'MiB',
        comparator: '<',
        message:
          `${name}: fitted growth ${signedMiB(fit.growthBytes)} MiB over ${fmt(fit.windowS, 0)} s after the ${fmt(trend.warmupS, 0)} s warm-up ` +
          `(${fmt(trend.slopeMBPerMin, 3)} MiB/min over ${trend.samples} ${metric === 'postGcHeap' ? 'post-GC readings' : 'samples'}; level ${fmt(fit.levelBytes / MiB)} MiB), allowed < ${fmt(allowedBytes / MiB)} MiB`,
      },
    });
  },

  toHaveNoLostMessages(this: MatcherState, received: unknown, options: LedgerOptions = {}) {
    const result = asResult(received);
    const ledger = result.ledger;
    const name = options.noDuplicates ? 'no lost or duplicated messages' : 'no lost messages';
    if (!ledger) {
      return record(this, result, {
        pass: false,
        outcome: { name, measured: 'no ledger', allowed: 0, message: `${name}: the result has no delivery ledger` },
      });
    }
    const bad = ledger.lost + (options.noDuplicates ? ledger.duplicates : 0);
    const sample = ledger.lostSample.length ? ` (e.g. ${ledger.lostSample.slice(0, 5).join(', ')})` : '';
    return record(this, result, {
      pass: bad === 0,
      outcome: {
        name,
        measured: bad,
        allowed: 0,
        message: `${name}: ${ledger.lost} lost${sample}, ${ledger.duplicates} duplicated of ${ledger.enqueued} enqueued (${ledger.deliveredUnique} delivered), allowed 0`,
      },
    });
  },
};

/** Register the matchers with Vitest's `expect` (safe to call more than once). */
export function installMatchers(): void {
  expect.extend(conduitMatchers);
}

function signedMiB(bytes: number): string {
  const text = fmt(bytes / MiB);
  return bytes > 0 ? `+${text}` : text;
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
