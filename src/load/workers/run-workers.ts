// Running a scenario's workloads in N worker threads: each thread imports the workload
// module, records into its own Metrics and runs its own engine on its own event loop
// (worker-entry.ts); this supervisor starts them, lets them all begin at once when every
// one is ready, forwards an interrupt, and collects one ScenarioResult per worker.
// Nothing hangs: a worker that fails (its module does not load, its factory throws, it
// crashes or exits), that is not ready within `readyTimeoutMs`, or that has not
// finished `stragglerMs` after the deadline and grace ends the whole run with an error
// naming it; the others are told to stop and, if they do not, terminated.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { envNumber } from '../knobs.js';
import type { ScenarioResult } from '../result.js';
import type { FromWorker, ToWorker, WorkerJob, WorkerModule } from './protocol.js';

export interface RunWorkersOptions {
  workers: number;
  module: WorkerModule;
  scenario: string;
  mainMetric?: string;
  target: ScenarioResult['target'];
  durationMs: number;
  /** @default 10000 */
  graceMs?: number;
  /** @default 1000 */
  tickMs?: number;
  /** An interrupt: every worker stops (in-flight work gets about a second). */
  signal?: AbortSignal;
  /** How long after deadline + grace a worker may take before it counts as hung. @default 5000 */
  stragglerMs?: number;
  /** How long a worker may take to load its module and build its workloads. @default 60000 */
  readyTimeoutMs?: number;
}

export interface WorkersOutcome {
  /** One per worker, in worker order. */
  results: ScenarioResult[];
  /** Workload failures, prefixed with their worker. */
  failures: string[];
  interrupted: boolean;
  /** Event-loop delay p99 of each worker's thread (ms). */
  loopLagP99Ms: number[];
  elapsedS: number;
}

/** A worker failed or hung; the run was stopped. */
export class WorkerFailure extends Error {
  readonly worker: number;
  /** The other workers that ended by themselves (finished, or stopped when told to), and those that had to be terminated. */
  readonly stopped: number[] = [];
  readonly terminated: number[] = [];
  constructor(worker: number, workers: number, why: string) {
    super(`worker[${worker}] of ${workers} ${why}`);
    this.name = 'WorkerFailure';
    this.worker = worker;
  }
}

/** After a failure or a timeout, how long the other workers get to stop before they are terminated. */
const STOP_GRACE_MS = 2000;

/**
 * The number of worker threads: `value` if given, else CONDUIT_LOAD_WORKERS, else 1.
 * Throws unless it is an integer >= 1.
 */
export function resolveWorkers(value?: number, env: NodeJS.ProcessEnv = process.env): number {
  const n = value ?? envNumber('CONDUIT_LOAD_WORKERS', 1, env);
  const from = value === undefined ? `CONDUIT_LOAD_WORKERS=${env.CONDUIT_LOAD_WORKERS}` : `workers: ${value}`;
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`${from}: the number of worker threads must be an integer >= 1`);
  return n;
}

// The thread's first script (CommonJS, evaluated): register tsx when TypeScript must be
// loaded, then import the entry. An error before the entry runs is reported the same way.
const BOOT = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((error) => parentPort.postMessage({ type: 'error', message: String(error && error.message || error), stack: error && error.stack }));
`;

const isTs = (url: string) => /\.[cm]?ts$/.test(new URL(url).pathname);

function entryUrl(): string {
  const self = import.meta.url;
  return new URL(`./worker-entry${isTs(self) ? '.ts' : '.js'}`, self).href;
}

/** tsx's ESM register API (the `import` condition of tsx/esm/api). */
function tsxApi(): string {
  const esmResolve = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  try {
    if (typeof esmResolve === 'function') return esmResolve('tsx/esm/api');
  } catch {
    // fall through to require.resolve
  }
  try {
    return pathToFileURL(
      createRequire(import.meta.url)
        .resolve('tsx/esm/api')
        .replace(/\.cjs$/, '.mjs'),
    ).href;
  } catch {
    throw new Error('worker threads load TypeScript through tsx (npm i -D tsx), or use built JavaScript');
  }
}

export async function runWorkers(options: RunWorkersOptions): Promise<WorkersOutcome> {
  const workers = resolveWorkers(options.workers);
  const graceMs = options.graceMs ?? 10_000;
  const tickMs = options.tickMs ?? 1000;
  const stragglerMs = options.stragglerMs ?? 5000;
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const moduleUrl =
    options.module.url instanceof URL
      ? options.module.url.href
      : String(options.module.url).startsWith('file:')
        ? String(options.module.url)
        : pathToFileURL(String(options.module.url)).href;
  const entry = entryUrl();
  const tsx = isTs(entry) || isTs(moduleUrl) ? tsxApi() : undefined;
  const started = performance.now();

  return await new Promise<WorkersOutcome>((resolve, reject) => {
    const done: Array<Extract<FromWorker, { type: 'done' }> | undefined> = new Array(workers).fill(undefined);
    const exited: boolean[] = new Array(workers).fill(false);
    let finished = 0;
    let failed = false;
    let whenAllExited: (() => void) | undefined;
    let failure: WorkerFailure | undefined;
    const threads: Worker[] = [];

    const send = (w: Worker, msg: ToWorker) => {
      try {
        w.postMessage(msg);
      } catch {
        // already gone
      }
    };
    let ready = 0;
    let hangTimer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      clearTimeout(readyTimer);
      clearTimeout(hangTimer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (worker: number, why: string) => {
      if (failed || finished === workers) return;
      failed = true;
      cleanup();
      const error = new WorkerFailure(worker, workers, why);
      threads.forEach((w, i) => {
        if (!exited[i]) send(w, { type: 'stop', reason: error.message });
      });
      failure = error;
      done.forEach((d, k) => {
        if (d && k !== worker) error.stopped.push(k);
      });
      // The others stop by themselves within a second or so; any still running after that is terminated.
      const kill = setTimeout(() => {
        threads.forEach((w, i) => {
          if (exited[i] || done[i]) return;
          if (i !== worker) error.terminated.push(i);
          void w.terminate();
        });
      }, STOP_GRACE_MS);
      whenAllExited = () => {
        clearTimeout(kill);
        reject(error);
      };
      if (exited.every(Boolean)) whenAllExited();
    };
    const onAbort = () => {
      const reason = String((options.signal?.reason as Error | undefined)?.message ?? 'interrupted');
      threads.forEach((w, i) => {
        if (!exited[i]) send(w, { type: 'stop', reason });
      });
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const isReady: boolean[] = new Array(workers).fill(false);
    const readyTimer = setTimeout(() => {
      fail(
        isReady.indexOf(false),
        `was not ready within ${(readyTimeoutMs / 1000).toFixed(1)} s (loading its module and building its workloads)`,
      );
    }, readyTimeoutMs);
    const onReady = (i: number) => {
      if (isReady[i]) return;
      isReady[i] = true;
      if (++ready < workers || failed) return;
      clearTimeout(readyTimer);
      for (const w of threads) send(w, { type: 'go' });
      hangTimer = setTimeout(
        () => {
          const late = done.indexOf(undefined);
          fail(
            late,
            `did not finish within ${(stragglerMs / 1000).toFixed(1)} s after its deadline and grace (${((options.durationMs + graceMs) / 1000).toFixed(1)} s): a workload that ignores ctx.stopping and ctx.signal?`,
          );
        },
        options.durationMs + graceMs + stragglerMs,
      );
    };

    for (let i = 0; i < workers; i++) {
      const job: WorkerJob = {
        worker: i,
        workers,
        moduleUrl,
        exportName: options.module.export ?? 'workloads',
        options: options.module.options,
        scenario: options.scenario,
        mainMetric: options.mainMetric,
        durationMs: options.durationMs,
        graceMs,
        tickMs,
        target: options.target,
      };
      const w = new Worker(BOOT, { eval: true, workerData: { ...job, entry, tsx } });
      threads.push(w);
      w.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') onReady(i);
        else if (msg.type === 'error') fail(i, `failed: ${msg.message}`);
        else if (msg.type === 'done' && !done[i]) {
          done[i] = msg;
          finished++;
          failure?.stopped.push(i);
          void w.terminate();
          if (finished === workers && !failed) {
            cleanup();
            resolve({
              results: done.map((d) => d!.result),
              failures: done.flatMap((d, k) => d!.failures.map((f) => `worker[${k}]: ${f}`)),
              interrupted: done.some((d) => d!.interrupted),
              loopLagP99Ms: done.map((d) => d!.loopLagP99Ms),
              elapsedS: (performance.now() - started) / 1000,
            });
          }
        }
      });
      w.on('error', (error) => fail(i, `crashed: ${error.message}`));
      w.on('exit', (code) => {
        exited[i] = true;
        if (!done[i]) fail(i, `exited (code ${code}) before it finished`);
        if (whenAllExited && exited.every(Boolean)) whenAllExited();
      });
    }
  });
}
