// What a workload module exports for worker threads, and the messages between the
// supervisor (run-workers.ts) and a worker (worker-entry.ts). Everything that crosses
// is structured-clone data: closures cannot, so a threaded scenario names a module.
import type { Workload } from '../engine.js';
import type { LedgerSummary } from '../ledger.js';
import type { Metrics } from '../metrics.js';
import type { ScenarioResult } from '../result.js';

/** What a worker's factory gets. */
export interface WorkerContext<O = unknown> {
  /** This worker's own recorder. */
  metrics: Metrics;
  /** 0-based index of this worker, and how many run. */
  worker: number;
  workers: number;
  /** The scenario's `workerModule.options` (structured-cloned). */
  options: O;
}

/** What a worker's factory returns: its workloads, and its delivery ledger if it keeps one. */
export interface WorkerWorkloads {
  workloads: Workload[];
  /** Read after the run. A ledger is exact across workers only when each worker's streams are its own. */
  ledger?: () => LedgerSummary | undefined;
}

/** A module's export (default name `workloads`) building one worker's workloads. */
export type WorkerFactory<O = unknown> = (
  ctx: WorkerContext<O>,
) => WorkerWorkloads | Workload[] | Promise<WorkerWorkloads | Workload[]>;

/** Where the workloads of a threaded scenario come from. */
export interface WorkerModule<O = unknown> {
  /** The module (a file URL or path, e.g. `new URL('./uploads.workloads.ts', import.meta.url)`). */
  url: string | URL;
  /** @default 'workloads' */
  export?: string;
  /** Data every worker's factory receives (structured-clone: no functions). */
  options?: O;
}

export interface WorkerJob {
  worker: number;
  workers: number;
  moduleUrl: string;
  exportName: string;
  options: unknown;
  scenario: string;
  mainMetric: string | undefined;
  durationMs: number;
  graceMs: number;
  tickMs: number;
  /** Reported with the worker's result. */
  target: ScenarioResult['target'];
}

/** `go` starts every worker's engine at once (after all are ready); `stop` is an interrupt. */
export type ToWorker = { type: 'go' } | { type: 'stop'; reason: string };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; result: ScenarioResult; failures: string[]; interrupted: boolean; loopLagP99Ms: number }
  | { type: 'error'; message: string; stack?: string };
