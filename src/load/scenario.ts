// runScenario: the plumbing every scenario shares, so a scenario file only declares its
// workloads and thresholds. It samples the target's memory and the generator's health,
// runs the engine — in this thread, or in worker threads when the workloads come as a
// module — emits sparse progress, builds the ScenarioResult and publishes it to
// `task.meta.conduit` before any threshold is evaluated.
import { performance } from 'node:perf_hooks';
import { LoadEngine } from './engine.js';
import type { TickEvent, Workload } from './engine.js';
import type { LedgerSummary } from './ledger.js';
import { watchInterrupts } from './interrupt.js';
import { GeneratorMonitor } from './memory/generator.js';
import { MachineMonitor } from './memory/machine.js';
import { analyzeMemory } from './memory/report.js';
import { MemorySampler } from './memory/sampler.js';
import { Metrics } from './metrics.js';
import type { ScenarioResult } from './result.js';
import { buildScenarioResult, publishResult } from './scenario-result.js';
import type { ConduitTarget } from './target.js';
import type { TrendOptions } from './trend.js';
import { mergeWorkerResults } from './workers/merge-results.js';
import type { MergedRecording } from './workers/merge-results.js';
import type { WorkerModule } from './workers/protocol.js';
import { resolveWorkers, runWorkers } from './workers/run-workers.js';

/** The parts of Vitest's test context runScenario uses. */
export interface ScenarioTestContext {
  task: { meta: object };
  annotate?: (message: string, type?: string) => unknown;
  /** Vitest aborts it when the run is cancelled (Ctrl-C) or the test times out. */
  signal?: AbortSignal;
}

export interface ScenarioOptions {
  name: string;
  target: ConduitTarget;
  durationS: number;
  /** Knobs in force, reported with the result. */
  config?: Record<string, unknown>;
  /** Histogram of the series. @default 'http.latency' */
  mainMetric?: string;
  /** Workloads built with the scenario's metrics, run in this thread. Give this or `workerModule`. */
  workloads?: (metrics: Metrics) => Workload[];
  /**
   * The workloads as a module (its export builds one worker's workloads), run in
   * `workers` threads, each with its own event loop and recorder; the results are merged.
   */
  workerModule?: WorkerModule;
  /** Threads for `workerModule`. @default CONDUIT_LOAD_WORKERS, else 1 */
  workers?: number;
  /** Progress every N seconds (0 = none). @default 0 */
  progressEveryS?: number;
  /** Where progress goes: `context.annotate(msg, 'progress')` when available, else console. */
  context?: ScenarioTestContext;
  /** Grace after the deadline for in-flight work (and ledger settling). @default 10000 */
  graceMs?: number;
  /** Delivery ledger summary, read after the run (in-process runs; workers return their own). */
  ledger?: () => LedgerSummary | undefined;
  trend?: TrendOptions;
  /**
   * Stops the run early, like an interrupt (in-flight work gets about a second). The
   * test's `context.signal` and the Vitest main process going away do the same.
   */
  signal?: AbortSignal;
}

export function formatProgress(name: string, tick: TickEvent, durationS: number): string {
  const c = tick.metrics.snapshot();
  const n = c.counters;
  const parts = [
    `${name} ${Math.round(tick.elapsedS)}/${Math.round(durationS)} s`,
    `${n.requests ?? 0} ops`,
    `${n.errors ?? 0} errors`,
  ];
  if (n['ws.deliveries'] !== undefined) parts.push(`${n['ws.deliveries']} deliveries`);
  if (n['upload.files'] !== undefined) parts.push(`${n['upload.files']} uploads`);
  parts.push(`p99 ${tick.point.p99.toFixed(1)} ms (last ${Math.max(1, Math.round(tick.point.t - (c.series.at(-2)?.t ?? 0)))} s)`);
  parts.push(`in flight ${tick.point.inflight}`);
  return parts.join(' · ');
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const { target } = options;
  if (!options.workerModule && !options.workloads) throw new Error(`${options.name}: give workloads or workerModule`);
  // Closures cannot cross threads: only a workerModule runs in workers.
  if (!options.workerModule && options.workers !== undefined && options.workers !== 1) {
    throw new Error(`${options.name}: workers: ${options.workers} needs workerModule (workloads given as a function run in this thread)`);
  }
  const workers = options.workerModule ? resolveWorkers(options.workers) : 1;
  const origin = performance.now();
  const sampler = new MemorySampler({
    pid: target.pid,
    metricsUrl: target.metricsUrl,
    headers: target.token ? { authorization: `Bearer ${target.token}` } : undefined,
    origin,
  }).start();
  const generator = new GeneratorMonitor().start();
  const machine = new MachineMonitor({ pid: target.pid, generatorThreads: workers }).start();
  const interrupts = watchInterrupts([options.signal, options.context?.signal]);
  const resultTarget = { url: target.httpUrl, ...(target.pid ? { pid: target.pid } : {}), managed: target.managed };
  const mainMetric = options.mainMetric ?? 'http.latency';

  let run: WorkloadRun;
  let health;
  let samples;
  try {
    run = options.workerModule
      ? await runThreaded(options, options.workerModule, workers, resultTarget, interrupts.signal)
      : await runInProcess(options, interrupts.signal);
  } finally {
    interrupts.dispose();
    health = { ...generator.stop(), machine: await machine.stop() };
    samples = await sampler.stop();
  }
  const memory = analyzeMemory(samples, sampler.source, options.trend);
  const result = buildScenarioResult({
    scenario: options.name,
    startedAt: run.startedAt,
    durationS: Math.min(run.elapsedS, options.durationS),
    target: resultTarget,
    config: { ...options.config, durationS: options.durationS, mainMetric, ...(options.workerModule ? { workers, ...run.config } : {}) },
    ...(run.metrics ? { metrics: run.metrics } : { recording: run.recording }),
    memory,
    ledger: options.workerModule ? undefined : options.ledger?.(),
    generator: health,
  });
  if (run.failures.length > 0) result.config.workloadFailures = run.failures;
  const interrupted = run.interrupted ? String((interrupts.signal.reason as Error | undefined)?.message ?? interrupts.signal.reason ?? 'interrupted') : undefined;
  if (interrupted) result.config.interrupted = interrupted;
  if (options.context) publishResult(options.context, result);
  // Thresholds on a cut-short run would judge a run that did not happen.
  if (interrupted) throw new Error(`${options.name}: interrupted after ${run.elapsedS.toFixed(1)} s (${interrupted}); thresholds not evaluated`);
  return result;
}

/** What running the workloads produced, in this thread or in workers. */
interface WorkloadRun {
  startedAt: string;
  elapsedS: number;
  failures: string[];
  interrupted: boolean;
  metrics?: Metrics;
  recording?: MergedRecording;
  /** Reported with the result (threaded runs: per-worker figures). */
  config?: Record<string, unknown>;
}

async function runInProcess(options: ScenarioOptions, signal: AbortSignal): Promise<WorkloadRun> {
  const metrics = new Metrics({ mainMetric: options.mainMetric });
  const engine = new LoadEngine(metrics, { durationMs: options.durationS * 1000, graceMs: options.graceMs, signal });
  const every = options.progressEveryS ?? 0;
  if (every > 0) {
    let next = every;
    engine.on('tick', (tick) => {
      if (tick.elapsedS + 0.5 < next) return;
      next += every;
      const line = formatProgress(options.name, tick, options.durationS);
      if (options.context?.annotate) void Promise.resolve(options.context.annotate(line, 'progress')).catch(() => {});
      else console.log(line);
    });
  }
  const done = await engine.run(options.workloads!(metrics));
  return { startedAt: done.startedAt, elapsedS: done.elapsedS, failures: done.failures, interrupted: done.interrupted, metrics };
}

async function runThreaded(
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
