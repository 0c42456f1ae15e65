// Load models. Closed: N virtual users, each awaiting its operation before starting
// the next (throughput follows the target's speed). Open: operations are *scheduled*
// at a fixed arrival rate whatever the target does; when the generator falls behind
// (target stalled, in-flight cap reached) the backlog is recorded and each operation's
// latency still counts from its intended start, so a stall shows up in the corrected
// histogram (`metric`) while the raw one (`metric.raw`, from the actual send) hides it.
// Both models are bounded in time (the engine's deadline) and in count.
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { classifyError } from './classify.js';
import type { Workload, WorkloadContext } from './engine.js';

/** What an operation reports. Returning nothing means success. */
export interface OpResult {
  ok: boolean;
  /** Error type when !ok (e.g. HTTP_5XX, SHA256_MISMATCH). */
  error?: string;
  /** Answered but refused by design (429/503 with Retry-After): counted as `rejected`, not as an error. */
  rejected?: boolean;
}

export interface OpContext {
  /** Virtual user (closed) or 0 (open). */
  vu: number;
  /** Sequence number of this operation within the workload. */
  iteration: number;
  /** Aborted when in-flight work must be cancelled. */
  signal: AbortSignal;
}

export type Operation = (ctx: OpContext) => Promise<OpResult | void>;

export interface ClosedModelOptions {
  /** Number of concurrent virtual users. */
  concurrency: number;
  op: Operation;
  /** Histogram name for the operation latency. */
  metric: string;
  /** Upper bound on operations across all users. @default 10_000_000 */
  maxIterations?: number;
  /** Pause of each user between operations (pacing; not counted as latency). @default 0 */
  thinkMs?: number;
}

export interface OpenModelOptions {
  /** Arrivals per second. */
  ratePerS: number;
  op: Operation;
  /** Histogram name for the corrected latency; the raw latency goes to `${metric}.raw`. */
  metric: string;
  /** Cap on operations in flight; beyond it arrivals wait (and their wait counts). @default 1000 */
  maxInflight?: number;
  /** Upper bound on operations. @default 10_000_000 */
  maxRequests?: number;
}

const DEFAULT_MAX_OPS = 10_000_000;

/** Run one operation and record its outcome. `intendedAt` (open model) enables the corrected latency. */
async function runOp(
  ctx: WorkloadContext,
  op: Operation,
  metric: string,
  opCtx: OpContext,
  intendedAt?: number,
): Promise<void> {
  const { metrics } = ctx;
  const end = metrics.begin();
  const sentAt = performance.now();
  let result: OpResult | void;
  try {
    result = await op(opCtx);
  } catch (error) {
    end();
    if (ctx.signal.aborted) {
      metrics.count('aborted');
      return;
    }
    metrics.completed();
    metrics.error(classifyError(error));
    return;
  }
  end();
  const doneAt = performance.now();
  metrics.completed();
  if (intendedAt === undefined) {
    metrics.recordLatency(metric, doneAt - sentAt);
  } else {
    // Timers may fire a little early; an operation never counts less than its own duration.
    metrics.recordLatency(metric, doneAt - Math.min(intendedAt, sentAt));
    metrics.recordLatency(`${metric}.raw`, doneAt - sentAt);
  }
  if (result && !result.ok) {
    if (result.rejected) metrics.count('rejected');
    else metrics.error(result.error ?? 'FAILED');
  }
}

export function closedModel(options: ClosedModelOptions): Workload {
  const { concurrency, op, metric } = options;
  const maxIterations = options.maxIterations ?? DEFAULT_MAX_OPS;
  const thinkMs = options.thinkMs ?? 0;
  if (!(concurrency >= 1)) throw new RangeError('concurrency must be >= 1');
  return async (ctx) => {
    let iteration = 0;
    const user = async (vu: number) => {
      while (!ctx.stopping.aborted && iteration < maxIterations) {
        await runOp(ctx, op, metric, { vu, iteration: iteration++, signal: ctx.signal });
        if (thinkMs > 0 && !ctx.stopping.aborted) {
          await delay(thinkMs, undefined, { signal: ctx.stopping }).catch(() => undefined);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, vu) => user(vu)));
  };
}

export function openModel(options: OpenModelOptions): Workload {
  const { ratePerS, op, metric } = options;
  const maxInflight = options.maxInflight ?? 1000;
  const maxRequests = options.maxRequests ?? DEFAULT_MAX_OPS;
  if (!(ratePerS > 0)) throw new RangeError('ratePerS must be > 0');
  if (!(maxInflight >= 1)) throw new RangeError('maxInflight must be >= 1');
  const intervalMs = 1000 / ratePerS;

  return async (ctx) => {
    const { metrics } = ctx;
    const start = performance.now();
    const running = new Set<Promise<void>>();
    // One waiter at a time, woken by a freed slot or by stopping: a fresh promise per wait
    // and one abort listener per run (a race against a shared `stopped` promise would add
    // a reaction to it on every wait, kept until the run ends).
    let wake: (() => void) | undefined;
    const wakeUp = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    ctx.stopping.addEventListener('abort', wakeUp, { once: true });
    let started = 0;

    for (let i = 0; i < maxRequests && !ctx.stopping.aborted; i++) {
      const intendedAt = start + i * intervalMs;
      if (intendedAt >= ctx.deadline) break;
      const wait = intendedAt - performance.now();
      if (wait > 0) {
        try {
          await delay(Math.ceil(wait), undefined, { signal: ctx.stopping });
        } catch {
          break; // stopping
        }
      }
      while (running.size >= maxInflight && !ctx.stopping.aborted) {
        await new Promise<void>((r) => (wake = r));
      }
      if (ctx.stopping.aborted) break;
      const now = performance.now();
      // Arrivals that should have started by now but have not: the generator's backlog.
      const due = Math.min(maxRequests, Math.floor((now - start) / intervalMs) + 1);
      const backlog = due - i - 1;
      if (backlog > 0) metrics.max(`${metric}.backlogMax`, backlog);
      metrics.recordLatency(`${metric}.startLag`, now - intendedAt);
      started++;
      const p = runOp(ctx, op, metric, { vu: 0, iteration: i, signal: ctx.signal }, intendedAt).finally(() => {
        running.delete(p);
        wakeUp();
      });
      running.add(p);
    }
    // Arrivals scheduled before the deadline that never started (stopped while behind).
    const scheduled = Math.min(maxRequests, Math.ceil((ctx.deadline - start) / intervalMs));
    const dueByStop = Math.min(scheduled, Math.ceil((performance.now() - start) / intervalMs));
    if (dueByStop > started) metrics.count(`${metric}.notStarted`, dueByStop - started);
    ctx.stopping.removeEventListener('abort', wakeUp);
    await Promise.all(running);
  };
}
