// Assembling a ScenarioResult from the recorders, and handing it to the reporters
// through `task.meta.conduit` (it survives blob files and --merge-reports).
import type { Metrics } from './metrics.js';
import type { LedgerSummary } from './ledger.js';
import type { MergedRecording } from './workers/merge-results.js';
import { META_KEY, RESULT_SCHEMA } from './result.js';
import type { GeneratorHealth, MemoryReport, RunBatches, ScenarioResult, ThresholdOutcome } from './result.js';

const MiB = 1024 * 1024;

export interface BuildScenarioResultInput {
  scenario: string;
  /** ISO time the load started (the engine's `startedAt`). */
  startedAt: string;
  /** Seconds of load (the engine's elapsed time). */
  durationS: number;
  target: ScenarioResult['target'];
  config?: Record<string, unknown>;
  /** The recorder of an in-process run… */
  metrics?: Metrics;
  /** …or the merged recording of a threaded one (mergeWorkerResults). */
  recording?: MergedRecording;
  memory?: MemoryReport;
  ledger?: LedgerSummary;
  generator?: GeneratorHealth;
  thresholds?: ThresholdOutcome[];
  /** Extra derived rates to include (merged over the computed ones). */
  throughput?: Record<string, number>;
  /** Per-slice figures (BatchRecorder.result()). */
  batches?: RunBatches;
}

const NO_MEMORY: MemoryReport = {
  source: 'none',
  samples: [],
  trends: [],
  verdict: 'inconclusive',
  rss: { minBytes: 0, maxBytes: 0, avgBytes: 0, growthBytes: 0 },
};

const NO_GENERATOR: GeneratorHealth = {
  cpuPercentMax: 0,
  cpuPercentAvg: 0,
  rssBytesMax: 0,
  eventLoopLagP99Ms: 0,
  saturated: false,
};

export function buildScenarioResult(input: BuildScenarioResultInput): ScenarioResult {
  if (!input.metrics && !input.recording) throw new Error('buildScenarioResult needs metrics or a recording');
  if (input.recording) return fromRecording(input, input.recording);
  const snap = input.metrics!.snapshot();
  const d = input.durationS > 0 ? input.durationS : snap.elapsedS || 1;
  const c = snap.counters;
  const rate = (n: number | undefined) => round((n ?? 0) / d, 3);
  const throughput: Record<string, number> = {
    requestsPerS: rate(c.requests),
    MBPerS: round(((c.bytesSent ?? 0) + (c.bytesReceived ?? 0)) / MiB / d, 3),
  };
  if (c['ws.deliveries'] !== undefined) throughput.messagesPerS = rate(c['ws.deliveries']);
  // Not connections.opened ÷ duration: connections open at the start, so that figure
  // would only measure the run's length (and a baseline would flag it as a rate).
  if (c['upload.files'] !== undefined) throughput.uploadsPerS = rate(c['upload.files']);
  return {
    schema: RESULT_SCHEMA,
    scenario: input.scenario,
    startedAt: input.startedAt,
    durationS: round(d, 3),
    target: input.target,
    config: input.config ?? {},
    histograms: snap.histograms,
    counters: snap.counters,
    statusCodes: snap.statusCodes,
    errors: snap.errors,
    throughput: { ...throughput, ...input.throughput },
    concurrency: { max: snap.concurrency.max, mean: round(snap.concurrency.mean, 2) },
    series: snap.series,
    ...(input.batches ? { batches: input.batches } : {}),
    memory: input.memory ?? NO_MEMORY,
    ...(input.ledger ? { ledger: input.ledger } : {}),
    generator: input.generator ?? NO_GENERATOR,
    thresholds: input.thresholds ?? [],
  };
}

/** The result of a threaded run: the workers' merged recording, this thread's memory and health. */
function fromRecording(input: BuildScenarioResultInput, r: MergedRecording): ScenarioResult {
  return {
    schema: RESULT_SCHEMA,
    scenario: input.scenario,
    startedAt: input.startedAt,
    durationS: round(input.durationS > 0 ? input.durationS : r.durationS, 3),
    target: input.target,
    config: input.config ?? {},
    histograms: r.histograms,
    counters: r.counters,
    statusCodes: r.statusCodes,
    errors: r.errors,
    throughput: { ...r.throughput, ...input.throughput },
    concurrency: { max: r.concurrency.max, mean: round(r.concurrency.mean, 2) },
    series: r.series,
    memory: input.memory ?? NO_MEMORY,
    ...(input.ledger ? { ledger: input.ledger } : r.ledger ? { ledger: r.ledger } : {}),
    generator: input.generator ?? NO_GENERATOR,
    thresholds: input.thresholds ?? [],
  };
}

/** Anything holding a task: the test context (`{ task }`) or the task itself. */
export type TaskHolder = { task: { meta: object } } | { meta: object };

/**
 * Store the result in `task.meta.conduit`. The same object is kept, so thresholds
 * evaluated afterwards (the matchers append to `result.thresholds`) still reach the
 * reporters, which read task.meta when the test ends.
 */
export function publishResult(holder: TaskHolder, result: ScenarioResult): ScenarioResult {
  const task = 'task' in holder ? holder.task : holder;
  (task.meta as Record<string, unknown>)[META_KEY] = result;
  return result;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
