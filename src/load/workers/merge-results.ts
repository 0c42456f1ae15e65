// The workers' results become the scenario's through the reporters' merge
// (src/reporters/merge.ts `mergeScenario`: histograms added, counters summed, series
// combined per interval, rates over the wall-clock span, ledgers summed) — one rule,
// one place. Workers are concurrent parts of one run, so before merging each worker's
// series is put on the shared tick grid: interval k of every worker lands in one point.
//
// The harness and the reporters depend on each other (the reporters read the result
// model from here), so the merge is imported lazily, through the reporters' public
// index, when a threaded run first needs it: no import cycle at module evaluation.
import type { IntervalPoint, ScenarioResult } from '../result.js';

/** The fields of a ScenarioResult that the workers' recordings determine. */
export type MergedRecording = Pick<
  ScenarioResult,
  | 'startedAt'
  | 'durationS'
  | 'histograms'
  | 'counters'
  | 'statusCodes'
  | 'errors'
  | 'throughput'
  | 'concurrency'
  | 'series'
  | 'ledger'
>;

type MergeScenario = (results: ReadonlyArray<{ label: string; result: ScenarioResult }>) => MergedRecording;

let merge: Promise<MergeScenario> | undefined;

function reportersMerge(): Promise<MergeScenario> {
  merge ??= import('../../reporters/index.js').then((m) => m.mergeScenario as MergeScenario);
  return merge;
}

/** Interval ends rounded to the tick grid (the workers' clocks started a few ms apart). */
export function onTickGrid(series: readonly IntervalPoint[], tickMs: number): IntervalPoint[] {
  const tickS = tickMs / 1000;
  return series.map((p) => ({ ...p, t: Math.round(Math.max(1, Math.round(p.t / tickS)) * tickS * 1000) / 1000 }));
}

export async function mergeWorkerResults(results: readonly ScenarioResult[], tickMs: number): Promise<MergedRecording> {
  if (results.length === 0) throw new Error('mergeWorkerResults needs at least one result');
  const mergeScenario = await reportersMerge();
  const merged = mergeScenario(
    results.map((result, i) => ({
      label: `worker[${i}]`,
      result: { ...result, series: onTickGrid(result.series, tickMs) },
    })),
  );
  return {
    startedAt: merged.startedAt,
    durationS: merged.durationS,
    histograms: merged.histograms,
    counters: merged.counters,
    statusCodes: merged.statusCodes,
    errors: merged.errors,
    throughput: merged.throughput,
    concurrency: merged.concurrency,
    series: merged.series,
    ...(merged.ledger ? { ledger: merged.ledger } : {}),
  };
}
