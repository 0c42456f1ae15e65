// The error rate of a result, defined once: errors ÷ operations. The check
// (toHaveErrorRateBelow) and every figure printed beside it read this.
import type { ScenarioResult } from '../result.js';

export type Countable = Pick<ScenarioResult, 'counters' | 'statusCodes' | 'errors'>;

const sum = (record: Record<string, number> | undefined) => Object.values(record ?? {}).reduce((s, v) => s + v, 0);

export interface ErrorRateOptions {
  /** Error types not counted (e.g. ['HTTP_4XX'] when 4xx answers are part of the test). */
  exclude?: readonly string[];
}

/**
 * Operations attempted: `counters.requests` when the harness counts them (the load
 * models do), otherwise `counters.operations`, otherwise answered statuses plus typed errors.
 */
export function operations(result: Countable): number {
  return result.counters.requests ?? result.counters.operations ?? sum(result.statusCodes) + sum(result.errors);
}

/** Failed operations, by type, without the excluded types. */
export function errorCount(result: Countable, options: ErrorRateOptions = {}): number {
  const exclude = new Set(options.exclude ?? []);
  return Object.entries(result.errors ?? {}).reduce((s, [kind, n]) => (exclude.has(kind) ? s : s + n), 0);
}

/**
 * Errors ÷ operations: 0 when nothing ran and nothing failed, at most 1 — failures that
 * are not operations of their own (a WebSocket connect that failed, beside the HTTP
 * requests a ws scenario counts) cannot make more than everything fail.
 */
export function errorRate(result: Countable, options: ErrorRateOptions = {}): number {
  const ops = operations(result);
  const errors = errorCount(result, options);
  return ops > 0 ? Math.min(1, errors / ops) : errors > 0 ? 1 : 0;
}
