// The load engine: runs workloads side by side for a bounded time, rolls the metrics'
// interval every tick and emits `start`, `tick` and `done`. Progress displays subscribe
// to those events; the engine itself never prints.
//
// Two signals reach every workload: `stopping` (the deadline passed or abort() was
// called: start nothing new) and `signal` (hard abort after the grace period: cancel
// what is still in flight). Operations cut off by the hard abort count as `aborted`,
// not as errors, because the target did nothing wrong.
import { EventEmitter, setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Metrics } from './metrics.js';
import type { IntervalPoint } from './result.js';

export interface WorkloadContext {
  readonly metrics: Metrics;
  /** Aborted at the deadline (or on abort()): start nothing new. */
  readonly stopping: AbortSignal;
  /** Aborted when the grace period after `stopping` has passed: cancel in-flight work. */
  readonly signal: AbortSignal;
  /** performance.now() value of the deadline. */
  readonly deadline: number;
}

export type Workload = (ctx: WorkloadContext) => Promise<void>;

export interface EngineOptions {
  /** How long workloads run. */
  durationMs: number;
  /** Interval of the series and of `tick` events. @default 1000 */
  tickMs?: number;
  /** After the deadline, how long in-flight operations may finish. @default 10000 */
  graceMs?: number;
  /**
   * An outside abort (an interrupt: the test's signal, Ctrl-C). Unlike the deadline it
   * cuts the grace period short: in-flight work is cancelled after `interruptGraceMs`.
   */
  signal?: AbortSignal;
  /** After an outside abort, how long in-flight operations may finish. @default 1000 */
  interruptGraceMs?: number;
}

export interface StartEvent {
  startedAt: string;
  durationMs: number;
}
export interface TickEvent {
  point: IntervalPoint;
  elapsedS: number;
  remainingS: number;
  metrics: Metrics;
}
export interface DoneEvent {
  startedAt: string;
  elapsedS: number;
  /** True when stopped by abort() or the outside signal rather than the deadline. */
  aborted: boolean;
  /** True when the outside signal (an interrupt) stopped the run. */
  interrupted: boolean;
  /** Workloads that threw (their error messages); the run still completes. */
  failures: string[];
}

interface EngineEvents {
  start: [StartEvent];
  tick: [TickEvent];
  done: [DoneEvent];
}

export class LoadEngine extends EventEmitter<EngineEvents> {
  readonly metrics: Metrics;
  private readonly options: Required<Omit<EngineOptions, 'signal'>> & { signal?: AbortSignal };
  private interrupted = false;
  private readonly stopController = new AbortController();
  private readonly hardController = new AbortController();
  private abortedByUser = false;
  private running = false;

  constructor(metrics: Metrics, options: EngineOptions) {
    super();
    if (!(options.durationMs > 0)) throw new RangeError('durationMs must be > 0');
    this.metrics = metrics;
    this.options = {
      ...options,
      tickMs: options.tickMs ?? 1000,
      graceMs: options.graceMs ?? 10_000,
      interruptGraceMs: options.interruptGraceMs ?? 1000,
    };
    // Every virtual user and subscriber listens on these: no listener limit.
    setMaxListeners(0, this.stopController.signal, this.hardController.signal);
  }

  /** Stop starting new work now; in-flight work gets the grace period. */
  abort(): void {
    this.abortedByUser = true;
    this.stopController.abort();
  }

  async run(workloads: readonly Workload[]): Promise<DoneEvent> {
    if (this.running) throw new Error('LoadEngine.run() called twice');
    this.running = true;
    const { durationMs, tickMs, graceMs, interruptGraceMs, signal } = this.options;
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    const deadline = t0 + durationMs;
    const onOutsideAbort = () => {
      this.interrupted = true;
      this.abort();
    };
    signal?.addEventListener('abort', onOutsideAbort, { once: true });
    if (signal?.aborted) onOutsideAbort();

    const stopTimer = setTimeout(() => this.stopController.abort(), durationMs);
    let graceTimer: NodeJS.Timeout | undefined;
    this.stopController.signal.addEventListener(
      'abort',
      () => {
        graceTimer = setTimeout(
          () => this.hardController.abort(),
          this.interrupted ? Math.min(graceMs, interruptGraceMs) : graceMs,
        );
      },
      { once: true },
    );
    const ticker = setInterval(() => this.tick(t0, deadline), tickMs);

    this.emit('start', { startedAt, durationMs });
    const ctx: WorkloadContext = {
      metrics: this.metrics,
      stopping: this.stopController.signal,
      signal: this.hardController.signal,
      deadline,
    };
    const settled = await Promise.allSettled(workloads.map((w) => w(ctx)));
    clearTimeout(stopTimer);
    clearInterval(ticker);
    if (graceTimer) clearTimeout(graceTimer);
    signal?.removeEventListener('abort', onOutsideAbort);
    this.stopController.abort();
    this.tick(t0, deadline);

    const done: DoneEvent = {
      startedAt,
      elapsedS: (performance.now() - t0) / 1000,
      aborted: this.abortedByUser,
      interrupted: this.interrupted,
      failures: settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason?.message ?? s.reason)] : [])),
    };
    this.emit('done', done);
    return done;
  }

  private tick(t0: number, deadline: number): void {
    const now = performance.now();
    const point = this.metrics.rollInterval();
    this.emit('tick', {
      point,
      elapsedS: (now - t0) / 1000,
      remainingS: Math.max(0, (deadline - now) / 1000),
      metrics: this.metrics,
    });
  }
}
