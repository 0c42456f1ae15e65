// runScenario: the plumbing every scenario shares, so a scenario file only declares its
// workloads and thresholds. It samples the target's memory and the generator's health,
// runs the engine, emits sparse progress, builds the ScenarioResult and publishes it to
// `task.meta.conduit` before any threshold is evaluated.
import { performance } from 'node:perf_hooks';
import { BatchRecorder, batchWidthS } from './batches.js';
import { LoadEngine } from './engine.js';
import type { TickEvent, Workload } from './engine.js';
import type { LedgerSummary } from './ledger.js';
import { watchInterrupts } from './interrupt.js';
import { GeneratorMonitor } from './memory/generator.js';
import { analyzeMemory } from './memory/report.js';
import { HeapProbe } from './memory/heap-probe.js';
import { MemorySampler } from './memory/sampler.js';
import { envBool, envNumber } from './knobs.js';
import { GrowthProfile } from './memory/growth-profile.js';
import { Metrics } from './metrics.js';
import { ProgressCadence } from './progress-cadence.js';
import type { ScenarioResult } from './result.js';
import { buildScenarioResult, publishResult } from './scenario-result.js';
import type { ConduitTarget } from './target.js';
import type { TrendOptions } from './verdict/trend.js';

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
  /** Workloads built with the scenario's metrics. */
  workloads: (metrics: Metrics) => Workload[];
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
 * every 4 s, 23 ms pauses raised the ws scenario's p99 1.8–2.3×); 10 readings are what
 * a 60 s run needs for its minimum detectable slope to stay under its growth floor.
 */
export function defaultGcEveryS(durationS: number): number {
  return Math.min(30, Math.max(6, Math.round(durationS / 10)));
}

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

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const { target } = options;
  // Checked before anything is attached or started (the engine would refuse it later).
  if (!(options.durationS > 0)) throw new RangeError(`${options.name}: durationS must be > 0, got ${options.durationS}`);
  const metrics = new Metrics({ mainMetric: options.mainMetric });
  const gcEveryS = options.memory?.gcEveryS ?? envNumber('CONDUIT_LOAD_GC_EVERY_S', defaultGcEveryS(options.durationS));
  const heap = gcEveryS > 0 && target.inspector ? await attachHeapProbe(target.inspector) : {};
  const profile = heap.probe && (options.memory?.heapProfile ?? envBool('CONDUIT_LOAD_HEAP_PROFILE', true))
    ? await new GrowthProfile(heap.probe, { fromS: profileStartS(options.durationS), toS: options.durationS, root: process.cwd() }).begin().catch(() => undefined)
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
  const interrupts = watchInterrupts([options.signal, options.context?.signal]);
  const batches = new BatchRecorder(metrics, batchWidthS(options.durationS), options.durationS);
  const engine = new LoadEngine(metrics, {
    durationMs: options.durationS * 1000,
    graceMs: options.graceMs,
    signal: interrupts.signal,
  });

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

  let done;
  let health;
  let samples;
  let growth;
  try {
    done = await engine.run(options.workloads(metrics));
  } finally {
    interrupts.dispose();
    health = generator.stop(done ? Math.min(done.elapsedS, options.durationS) : Infinity);
    samples = await sampler.stop();
    growth = await profile?.finish();
    await heap.probe?.close();
  }
  const memory = analyzeMemory(samples, sampler.source, options.trend, {
    heap: sampler.heapSource,
    untilS: Math.min(done.elapsedS, options.durationS),
  });
  if (growth) memory.growth = growth;
  const result = buildScenarioResult({
    scenario: options.name,
    startedAt: done.startedAt,
    durationS: Math.min(done.elapsedS, options.durationS),
    target: { url: target.httpUrl, ...(target.pid ? { pid: target.pid } : {}), managed: target.managed },
    config: { ...options.config, durationS: options.durationS, mainMetric: metrics.mainMetric },
    metrics,
    memory,
    ledger: options.ledger?.(),
    generator: health,
    batches: batches.result(),
  });
  if (done.failures.length > 0) result.config.workloadFailures = done.failures;
  const interrupted = done.interrupted ? String((interrupts.signal.reason as Error | undefined)?.message ?? interrupts.signal.reason ?? 'interrupted') : undefined;
  if (interrupted) result.config.interrupted = interrupted;
  if (options.context) publishResult(options.context, result);
  // Thresholds on a cut-short run would judge a run that did not happen.
  if (interrupted) throw new Error(`${options.name}: interrupted after ${done.elapsedS.toFixed(1)} s (${interrupted}); thresholds not evaluated`);
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
