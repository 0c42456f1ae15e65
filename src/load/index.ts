// Public API of the Conduit load harness. Scenarios import from here only; modules
// under internal/ are not part of the API.

// --- Result model (what reporters read from task.meta.conduit) ---
export { META_KEY, RESULT_SCHEMA } from './result.js';
export type {
  DeliveryLedgerSummary,
  GeneratorHealth,
  HeapGrowth,
  HeapGrowthSite,
  HeapSourceInfo,
  RunBatches,
  HistogramRecord,
  MachineView,
  IntervalPoint,
  MemoryComposition,
  MemoryReport,
  MemorySample,
  PercentileSummary,
  ScenarioResult,
  ThresholdOutcome,
  TrendVerdict,
  TrendVerdictKind,
} from './result.js';
export { buildScenarioResult, publishResult } from './scenario-result.js';
export type { BuildScenarioResultInput, TaskHolder } from './scenario-result.js';

// --- Recording: HDR histograms, metrics, error types ---
export {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeEncoded,
  percentile,
  recordMs,
  recordValue,
  summarize,
  toHistogramRecord,
} from './histogram.js';
export type { Histogram, HistogramUnit } from './histogram.js';
export { Metrics } from './metrics.js';
export { BATCH_COUNTERS, BatchRecorder, batchWidthS } from './batches.js';
export type { MetricsOptions, MetricsSnapshot } from './metrics.js';
export { BoundedSeries, DEFAULT_MAX_SERIES_POINTS, mergeIntervals } from './series.js';
export { classifyClose, classifyError, classifyStatus } from './classify.js';
export { formatPercent, rateUnit } from './format.js';

// --- Load models and the engine ---
export { LoadEngine } from './engine.js';
export type { DoneEvent, EngineOptions, StartEvent, TickEvent, Workload, WorkloadContext } from './engine.js';
export { closedModel, openModel } from './models.js';
export type { ClosedModelOptions, OpContext, OpenModelOptions, Operation, OpResult } from './models.js';

// --- Drivers: HTTP (the harness's own HTTP/1.1 client), multipart uploads, WebSocket subscribers ---
export { ConduitClient, HttpClient } from './drivers/http.js';
export type { EnqueueAnswer, HttpClientOptions, HttpOutcome, HttpRequest, StatsAnswer } from './drivers/http.js';
export { generatedBody, uploadGenerated } from './drivers/upload.js';
export type { UploadedFile, UploadOptions, UploadOutcome } from './drivers/upload.js';
export { CreditWindow } from './drivers/credit.js';
export type { CreditPolicy } from './drivers/credit.js';
export { createSubscriberFleet, WsSubscriber } from './drivers/ws.js';
export { DeliveryClock } from './delivery-clock.js';
export type { DeliveryClockOptions } from './delivery-clock.js';
export type { AckPolicy, CloseInfo, SubscriberFleetOptions, WsSubscriberOptions } from './drivers/ws.js';

// --- Declared scenarios: loadTest, workloads, thresholds, knobs by prefix ---
export { loadTest, runLoadTest } from './declarative/load-test.js';
export type { LoadTestSpec } from './declarative/load-test.js';
export { closed, ConduitLoad, open, subscribers } from './declarative/workloads.js';
export type {
  ClosedOptions,
  ConduitOp,
  OpenOptions,
  ScenarioKit,
  SubscribersOptions,
  WorkloadSpec,
} from './declarative/workloads.js';
export { applyThresholds, compileThresholds } from './declarative/thresholds.js';
export type { CompiledThreshold, SoftExpect, ThresholdSpec } from './declarative/thresholds.js';
export { defineKnobs, knobVariable } from './declarative/knobs.js';
export { noLingeringConnections, subscribersClosedCleanly } from './declarative/checks.js';
export type { DefineKnobsOptions, Knobs, KnobValue } from './declarative/knobs.js';

// --- Scenarios: the shared runner and env knobs ---
export { defaultGcEveryS, formatProgress, profileStartS, runScenario } from './scenario.js';
export { ProgressCadence } from './progress-cadence.js';
export { watchInterrupts } from './interrupt.js';
export type { InterruptOptions, InterruptWatch } from './interrupt.js';
export type { ScenarioMemoryOptions, ScenarioOptions, ScenarioTestContext } from './scenario.js';
export { envBool, envInt, envNumber, envSizes, loadDurationS, parseSize } from './knobs.js';

// --- Target: what the global setup provides (inject('conduitTarget')) ---
export { externalTarget, getTarget } from './target.js';
export type { ConduitTarget } from './target.js';
// What a run is pointed at (checked once) and starting/stopping it.
export { conduitGateway, parseTargetOptions, splitCommand } from './target-spec.js';
export type {
  CommandTargetOptions,
  CommandTargetSpec,
  GatewayTargetOptions,
  GatewayTargetSpec,
  TargetOptions,
  TargetSpec,
  UrlTargetOptions,
  UrlTargetSpec,
} from './target-spec.js';
export { commandEnv, startTarget } from './managed-target.js';
export type { RunningTarget, StartTargetOptions } from './managed-target.js';
export type { ExitInfo } from './internal/child-target.js';

// --- Errors: the harness's catalogue ---
export { isLoadError, LOAD_ERRORS, LoadError } from './errors.js';
export type { LoadErrorCode } from './errors.js';
// The Conduit gateway preset (the Vitest global setup that uses it is src/vitest/global-setup.ts).
export { managedGatewayEnv, startManagedGateway } from './gateway-target.js';
export type { ManagedGateway, ManagedGatewayOptions } from './gateway-target.js';

// --- Delivery ledger and seeded randomness ---
export { DeliveryLedger, LEDGER_STAMP_KEY } from './ledger.js';
export type {
  DeliveryInfo,
  DeliveryKind,
  DeliveryLedgerOptions,
  LedgerFootprint,
  LedgerStamp,
  LedgerSummary,
} from './ledger.js';
export { createRng, seedFrom } from './prng.js';
export type { Rng } from './prng.js';

// --- Memory: target sampling, generator health, trend verdict ---
export { GENERATOR_NODE_FLAGS } from './node-flags.js';
export { MemorySampler } from './memory/sampler.js';
export type { MemorySamplerOptions } from './memory/sampler.js';
export { readProcRss } from './memory/proc.js';
export { SampleBuffer, DEFAULT_SAMPLE_CAPACITY } from './memory/sample-buffer.js';
export { GeneratorMonitor, judgeGenerator, tallyCpu } from './memory/generator.js';
export type { CpuTally, GeneratorMonitorOptions } from './memory/generator.js';
export { PostGcHeap } from './memory/post-gc-heap.js';
export { judgeMachine, MachineMonitor } from './memory/machine.js';
export type { MachineMonitorOptions, MachineReading } from './memory/machine.js';
export { analyzeMemory } from './memory/report.js';
export type { AnalyzeMemoryContext } from './memory/report.js';
export { HeapProbe } from './memory/heap-probe.js';
export type { HeapReading } from './memory/heap-probe.js';
export { InspectorClient, InspectorError, resolveInspectorUrl } from './memory/inspector.js';
export type { InspectorClientOptions } from './memory/inspector.js';
export { growthBySite, liveBySite } from './memory/heap-sites.js';
export { GrowthProfile } from './memory/growth-profile.js';
export type { GrowthProfileOptions } from './memory/growth-profile.js';
export type { AllocationSite, SamplingProfile, SiteGrowth } from './memory/heap-sites.js';
export { mannKendall, median, theilSen } from './internal/stats.js';

// --- Verdicts: memory trend, combining, fitted growth, error rate, regressions ---
export * from './verdict/index.js';

// --- Thresholds as Vitest matchers ---
export { conduitMatchers, installMatchers } from './matchers.js';
export type {
  ErrorRateOptions,
  LedgerOptions,
  MemoryGrowthLimit,
  StableMemoryOptions,
  SuccessRateOptions,
} from './matchers.js';

// --- Worker threads: a scenario's workloads in N threads, merged into one result ---
export { resolveWorkers, runWorkers, WorkerFailure } from './workers/run-workers.js';
export type { RunWorkersOptions, WorkersOutcome } from './workers/run-workers.js';
export { mergeWorkerResults, onTickGrid } from './workers/merge-results.js';
export type { WorkerContext, WorkerFactory, WorkerModule, WorkerWorkloads } from './workers/protocol.js';
