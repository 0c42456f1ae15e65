// Public API of the Conduit load harness. Scenarios import from here only; modules
// under internal/ are not part of the API.

// --- Result model (what reporters read from task.meta.conduit) ---
export { META_KEY, RESULT_SCHEMA } from './result.js';
export type {
  DeliveryLedgerSummary,
  GeneratorHealth,
  HistogramRecord,
  MachineView,
  IntervalPoint,
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
export type { MetricsOptions, MetricsSnapshot } from './metrics.js';
export { classifyClose, classifyError, classifyStatus } from './classify.js';
export { formatPercent, rateUnit } from './format.js';

// --- Load models and the engine ---
export { LoadEngine } from './engine.js';
export type { DoneEvent, EngineOptions, StartEvent, TickEvent, Workload, WorkloadContext } from './engine.js';
export { closedModel, openModel } from './models.js';
export type { ClosedModelOptions, OpContext, OpenModelOptions, Operation, OpResult } from './models.js';

// --- Drivers: HTTP (undici Pool), multipart uploads, WebSocket subscribers ---
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

// --- Scenarios: the shared runner and env knobs ---
export { formatProgress, runScenario } from './scenario.js';
export { watchInterrupts } from './interrupt.js';
export type { InterruptOptions, InterruptWatch } from './interrupt.js';
export type { ScenarioOptions, ScenarioTestContext } from './scenario.js';
export { envBool, envInt, envNumber, envSizes, loadDurationS, parseSize } from './knobs.js';

// --- Target: what the global setup provides (inject('conduitTarget')) ---
export { externalTarget, getTarget } from './target.js';
export type { ConduitTarget } from './target.js';
// The globalSetup entry itself is src/load/global-setup.ts (default export).
export { managedGatewayEnv, startManagedGateway } from './global-setup.js';
export type { ManagedGateway, ManagedGatewayOptions } from './global-setup.js';

// --- Delivery ledger and seeded randomness ---
export { DeliveryLedger } from './ledger.js';
export type { DeliveryKind, LedgerSummary } from './ledger.js';
export { createRng, seedFrom } from './prng.js';
export type { Rng } from './prng.js';

// --- Memory: target sampling, generator health, trend verdict ---
export { MemorySampler } from './memory/sampler.js';
export type { MemorySamplerOptions } from './memory/sampler.js';
export { readProcRss } from './memory/proc.js';
export { GeneratorMonitor, judgeGenerator } from './memory/generator.js';
export { judgeMachine, MachineMonitor } from './memory/machine.js';
export type { MachineMonitorOptions, MachineReading } from './memory/machine.js';
export type { GeneratorMonitorOptions } from './memory/generator.js';
export { analyzeMemory } from './memory/report.js';
export { defaultWarmupS, judgeTrend, overallVerdict, seriesOf } from './trend.js';
export type { TrendOptions, TrendPoint } from './trend.js';
export { mannKendall, median, theilSen } from './internal/stats.js';

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
