// How a scenario's workloads run: in this thread (one engine, batches recorded on its
// ticks, sparse progress lines) or in worker threads (run-workers.ts), merged into one
// recording. runScenario (scenario.ts) does everything around it.
import { BatchRecorder, batchWidthS } from './batches.js';
import { LoadEngine } from './engine.js';
import type { TickEvent } from './engine.js';
import { Metrics } from './metrics.js';
import { ProgressCadence } from './progress-cadence.js';
import type { RunBatches, ScenarioResult } from './result.js';
import type { ScenarioOptions } from './scenario.js';
import { mergeWorkerResults } from './workers/merge-results.js';
import type { MergedRecording } from './workers/merge-results.js';
import type { WorkerModule } from './workers/protocol.js';
import { runWorkers } from './workers/run-workers.js';

/** A progress line; `intervalS` is the length of the tick's interval (its p99's window). */
export function formatProgress(name: string, tick: TickEvent, durationS: number, intervalS = 1): string {
  const c = tick.metrics.snapshot();
  const n = c.counters;
  const parts = [
    `${name} ${Math.round(tick.elapsedS)}/${Math.round(durationS)} s`,
    `${n.requests ?? 0} ops`,
    `${n.errors ?? 0} errors`,
  ];
  if (n['ws.deliveries'] !== undefined) parts.push(`${n['ws.deliveries']} deliveries`);
  if (n['upload.files'] !== undefined) parts.push(`${n['upload.files']} uploads`);
  parts.push(`p99 ${tick.point.p99.toFixed(1)} ms (last ${Math.max(1, Math.round(intervalS))} s)`);
  parts.push(`in flight ${tick.point.inflight}`);
  return parts.join(' · ');
}

/** What running the workloads produced, in this thread or in workers. */
export interface WorkloadRun {
  startedAt: string;
  elapsedS: number;
  failures: string[];
  interrupted: boolean;
  metrics?: Metrics;
  recording?: MergedRecording;
  /** Per-slice figures (in-process runs; a threaded run's workers keep no shared slices). */
  batches?: RunBatches;
  /** Reported with the result (threaded runs: per-worker figures). */
  config?: Record<string, unknown>;
}

export async function runInProcess(options: ScenarioOptions, signal: AbortSignal): Promise<WorkloadRun> {
  const metrics = new Metrics({ mainMetric: options.mainMetric });
  const engine = new LoadEngine(metrics, { durationMs: options.durationS * 1000, graceMs: options.graceMs, signal });
  const batches = new BatchRecorder(metrics, batchWidthS(options.durationS), options.durationS);
  engine.on('tick', (tick) => batches.tick(tick.elapsedS));
  const every = options.progressEveryS ?? 0;
  if (every > 0) {
    const cadence = new ProgressCadence(every);
    let lastT = 0;
    engine.on('tick', (tick) => {
      const intervalS = tick.point.t - lastT;
      lastT = tick.point.t;
      if (!cadence.due(tick.elapsedS)) return;
      const line = formatProgress(options.name, tick, options.durationS, intervalS);
      if (options.context?.annotate) void Promise.resolve(options.context.annotate(line, 'progress')).catch(() => {});
      else console.log(line);
    });
  }
  const done = await engine.run(options.workloads!(metrics));
  return {
    startedAt: done.startedAt,
    elapsedS: done.elapsedS,
    failures: done.failures,
    interrupted: done.interrupted,
    metrics,
    batches: batches.result(),
  };
}

export async function runThreaded(
  options: ScenarioOptions,
  module: WorkerModule,
  workers: number,
  target: ScenarioResult['target'],
  signal: AbortSignal,
): Promise<WorkloadRun> {
  const startedAt = new Date().toISOString();
  const out = await runWorkers({
    workers,
    module,
    scenario: options.name,
    mainMetric: options.mainMetric,
    target,
    durationMs: options.durationS * 1000,
    graceMs: options.graceMs,
    signal,
  });
  const recording = await mergeWorkerResults(out.results, 1000);
  return {
    startedAt: recording.startedAt || startedAt,
    elapsedS: Math.max(...out.results.map((r) => r.durationS)),
    failures: out.failures,
    interrupted: out.interrupted,
    recording,
    config: { workerLoopLagP99Ms: out.loopLagP99Ms.map((ms) => Math.round(ms * 10) / 10) },
  };
}
