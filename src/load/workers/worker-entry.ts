// One worker thread of a threaded scenario: imports the workload module, builds its
// workloads with its own Metrics, says `ready`, and on `go` (sent when every worker is
// ready, so all start together) runs its own LoadEngine — same duration, grace and tick
// as the others — on its own event loop, then posts one ScenarioResult back. A `stop`
// message is an interrupt: start nothing new, cancel in-flight work soon.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { LoadEngine } from '../engine.js';
import type { Workload } from '../engine.js';
import { Metrics } from '../metrics.js';
import { buildScenarioResult } from '../scenario-result.js';
import type { FromWorker, ToWorker, WorkerFactory, WorkerJob, WorkerWorkloads } from './protocol.js';

const job = workerData as WorkerJob;
const port = parentPort!;
const post = (msg: FromWorker) => port.postMessage(msg);
const stop = new AbortController();
let go!: () => void;
const started = new Promise<void>((resolve) => (go = resolve));
port.on('message', (msg: ToWorker) => {
  if (msg.type === 'go') go();
  else if (msg.type === 'stop') {
    stop.abort(new Error(msg.reason));
    go(); // not started yet: run an engine that stops at once
  }
});

async function main(): Promise<void> {
  const mod = (await import(job.moduleUrl)) as Record<string, unknown>;
  const factory = mod[job.exportName] as WorkerFactory | undefined;
  if (typeof factory !== 'function')
    throw new Error(
      `${job.moduleUrl} has no export ${JSON.stringify(job.exportName)} (a function returning the worker's workloads)`,
    );
  const metrics = new Metrics({ mainMetric: job.mainMetric });
  const built = await factory({ metrics, worker: job.worker, workers: job.workers, options: job.options });
  const { workloads, ledger } = (Array.isArray(built) ? { workloads: built } : built) as WorkerWorkloads & {
    workloads: Workload[];
  };
  post({ type: 'ready' });
  await started;
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const engine = new LoadEngine(metrics, {
    durationMs: job.durationMs,
    graceMs: job.graceMs,
    tickMs: job.tickMs,
    signal: stop.signal,
  });
  const done = await engine.run(workloads);
  lag.disable();
  const result = buildScenarioResult({
    scenario: job.scenario,
    startedAt: done.startedAt,
    durationS: Math.min(done.elapsedS, job.durationMs / 1000),
    target: job.target,
    metrics,
    ledger: ledger?.(),
  });
  post({
    type: 'done',
    result,
    failures: done.failures,
    interrupted: done.interrupted,
    loopLagP99Ms: lag.percentile(99) / 1e6,
  });
}

main().catch((error: unknown) => {
  const err = error instanceof Error ? error : new Error(String(error));
  post({ type: 'error', message: err.message, stack: err.stack });
  port.close(); // nothing more to hear: let the thread end
});
