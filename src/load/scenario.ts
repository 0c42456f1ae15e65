// runScenario: the plumbing every scenario shares, so a scenario file only declares its
// workloads and thresholds. It samples the target's memory and the generator's health,
// runs the engine — in this thread, or in worker threads when the workloads come as a
// module (scenario-run.ts) — builds the ScenarioResult and publishes it to
// `task.meta.conduit` before any threshold is evaluated.
import { performance } from 'node:perf_hooks';
import type { Workload } from './engine.js';
import type { LedgerSummary } from './ledger.js';
import { watchInterrupts } from './interrupt.js';
import { GeneratorMonitor } from './memory/generator.js';
import { MachineMonitor } from './memory/machine.js';
import { analyzeMemory } from './memory/report.js';
import { HeapProbe } from './memory/heap-probe.js';
import { MemorySampler } from './memory/sampler.js';
import { envBool, envNumber } from './knobs.js';
import { GrowthProfile } from './memory/growth-profile.js';
import type { Metrics } from './metrics.js';
import type { ScenarioResult } from './result.js';
import { buildScenarioResult, publishResult } from './scenario-result.js';
import { runInProcess, runThreaded } from './scenario-run.js';
import type { WorkloadRun } from './scenario-run.js';
import type { ConduitTarget } from './target.js';
import type { TrendOptions } from './verdict/trend.js';
import type { WorkerModule } from './workers/protocol.js';
import { resolveWorkers } from './workers/run-workers.js';

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
  /** Progress every N seconds (0 = none); the interval doubles after each 120 lines. @default 0 */
  progressEveryS?: number;
  /** Where progress goes: `context.annotate(msg, 'progress')` when available, else console. */
  context?: ScenarioTestContext;
  /** Grace after the deadline for in-flight work (and ledger settling). @default 10000 */
  graceMs?: number;
  /** Delivery ledger summary, read after the run. */
  ledger?: () => LedgerSummary | undefined;
  trend?: TrendOptions;
  /** How the target's memory is read. */
  memory?: ScenarioMemoryOptions;
  /**
   * Stops the run early, like an interrupt (in-flight work gets about a second). The
   * test's `context.signal` and the Vitest main process going away do the same.
   */
  signal?: AbortSignal;
}

export interface ScenarioMemoryOptions {
  /**
   * Seconds between forced post-GC heap readings through the target's inspector (when
   * the target has one: the managed gateway does, an external target with
   * CONDUIT_TARGET_INSPECT); 0 reads only the target's own full GCs (memwatch).
   * @default CONDUIT_LOAD_GC_EVERY_S, else defaultGcEveryS(durationS)
   */
  gcEveryS?: number;
  /**
   * Run V8's sampling heap profiler in the target (through the same inspector) and say
   * which allocation sites retained memory during the judged window; the report shows
   * them when the memory verdict is `growing`. @default CONDUIT_LOAD_HEAP_PROFILE, else true
   */
  heapProfile?: boolean;
}

/**
 * The forced-GC cadence for a run of `durationS`: about 10 readings, every 6 s at the
 * most often (a 60 s run) and every 30 s at the least (soaks). Each reading pauses the
 * target for one full GC, and those pauses reach the latency tail (bench/gc-cost.ts:
 * every 4 s, 23 ms pauses raised the ws scenario's p99 1.8–2.3×, every 6 s 1.2–1.4×); 10 readings are what
 * a 60 s run needs for its minimum detectable slope to stay under its growth floor.
 */
export function defaultGcEveryS(durationS: number): number {
  return Math.min(30, Math.max(6, Math.round(durationS / 10)));
}

export { formatProgress } from './scenario-run.js';

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const { target } = options;
  // Checked before anything is attached or started (the engine would refuse it later).
  if (!(options.durationS > 0))
    throw new RangeError(`${options.name}: durationS must be > 0, got ${options.durationS}`);
  if (!options.workerModule && !options.workloads) throw new Error(`${options.name}: give workloads or workerModule`);
  // Closures cannot cross threads: only a workerModule runs in workers.
  if (!options.workerModule && options.workers !== undefined && options.workers !== 1) {
    throw new Error(
      `${options.name}: workers: ${options.workers} needs workerModule (workloads given as a function run in this thread)`,
    );
  }
  const workers = options.workerModule ? resolveWorkers(options.workers) : 1;
  const gcEveryS = options.memory?.gcEveryS ?? envNumber('CONDUIT_LOAD_GC_EVERY_S', defaultGcEveryS(options.durationS));
  const heap = gcEveryS > 0 && target.inspector ? await attachHeapProbe(target.inspector) : {};
  const profile =
    heap.probe && (options.memory?.heapProfile ?? envBool('CONDUIT_LOAD_HEAP_PROFILE', true))
      ? await new GrowthProfile(heap.probe, {
          fromS: profileStartS(options.durationS),
          toS: options.durationS,
          root: process.cwd(),
        })
          .begin()
          .catch(() => undefined)
      : undefined;
  const origin = performance.now();
  const sampler = new MemorySampler({
    pid: target.pid,
    metricsUrl: target.metricsUrl,
    headers: target.token ? { authorization: `Bearer ${target.token}` } : undefined,
    origin,
    heapProbe: heap.probe,
    gcEveryS,
    heapNote: heap.note,
  }).start();
  // The generator's own memory, on the same clock and judged with the same trend options.
  const generator = new GeneratorMonitor({ origin, trend: options.trend }).start();
  const machine = new MachineMonitor({ pid: target.pid, generatorThreads: workers }).start();
  const interrupts = watchInterrupts([options.signal, options.context?.signal]);
  const resultTarget = { url: target.httpUrl, ...(target.pid ? { pid: target.pid } : {}), managed: target.managed };
  const mainMetric = options.mainMetric ?? 'http.latency';

  let run: WorkloadRun | undefined;
  let health;
  let samples;
  let growth;
  try {
    run = options.workerModule
      ? await runThreaded(options, options.workerModule, workers, resultTarget, interrupts.signal)
      : await runInProcess(options, interrupts.signal);
  } finally {
    interrupts.dispose();
    health = {
      ...generator.stop(run ? Math.min(run.elapsedS, options.durationS) : Infinity),
      machine: await machine.stop(),
    };
    samples = await sampler.stop();
    growth = await profile?.finish();
    await heap.probe?.close();
  }
  const untilS = Math.min(run.elapsedS, options.durationS);
  const memory = analyzeMemory(samples, sampler.source, options.trend, { heap: sampler.heapSource, untilS });
  if (growth) memory.growth = growth;
  const result = buildScenarioResult({
    scenario: options.name,
    startedAt: run.startedAt,
    durationS: untilS,
    target: resultTarget,
    config: {
      ...options.config,
      durationS: options.durationS,
      mainMetric,
      ...(options.workerModule ? { workers, ...run.config } : {}),
    },
    ...(run.metrics ? { metrics: run.metrics } : { recording: run.recording }),
    memory,
    ledger: options.workerModule ? undefined : options.ledger?.(),
    generator: health,
    batches: run.batches,
  });
  if (run.failures.length > 0) result.config.workloadFailures = run.failures;
  const interrupted = run.interrupted
    ? String((interrupts.signal.reason as Error | undefined)?.message ?? interrupts.signal.reason ?? 'interrupted')
    : undefined;
  if (interrupted) result.config.interrupted = interrupted;
  if (options.context) publishResult(options.context, result);
  // Thresholds on a cut-short run would judge a run that did not happen.
  if (interrupted)
    throw new Error(
      `${options.name}: interrupted after ${run.elapsedS.toFixed(1)} s (${interrupted}); thresholds not evaluated`,
    );
  return result;
}

/** When the "what grows" window starts: after the first fifth of the run (most warm-ups are over), at least 5 s in. */
export function profileStartS(durationS: number): number {
  return Math.min(durationS / 2, Math.max(5, durationS / 5));
}

/** Attach to the target's inspector; when that fails, say why (the report shows it) and go on without. */
async function attachHeapProbe(address: string): Promise<{ probe?: HeapProbe; note?: string }> {
  try {
    return { probe: await HeapProbe.attach(address) };
  } catch (error) {
    return { note: `inspector ${address} not used: ${(error as Error).message}; post-GC heap from the metrics URL` };
  }
}
