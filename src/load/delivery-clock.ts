// DeliveryClock: WebSocket delivery latency measured on the generator's own clock.
//
// The gateway stamps each message with `enqueuedAt` in epoch milliseconds, so a latency
// computed from it has 1 ms resolution (sub-millisecond deliveries all read 0). When the
// generator itself enqueued the message it knows better: the performance.now() time it
// SENT the enqueue request. The producer reports `enqueued(id, sentAt)` once the answer
// (and so the id) is back; subscribers report `delivered(id, receivedAt, fallbackMs)`.
// Either may come first — a delivery often overtakes the enqueue response — and the
// latency is recorded when both are known:
//
//   `ws.delivery`            receivedAt − sentAt (µs resolution), messages this generator sent
//   `ws.delivery.enqueuedAt` Date.now() − enqueuedAt (1 ms resolution), deliveries whose
//                            enqueue this generator never sent (or sent without a clock)
//
// A delivery is judged "not ours" when no enqueue answer matched it within `matchWindowMs`
// or by `flush()` at the end of the run. Matched entries are dropped at once; unmatched
// ones expire: early deliveries after `matchWindowMs` (recorded with their fallback
// figure), sends never delivered after `sentRetainMs` (a delivery that comes later still
// is timed by the fallback). So both maps hold at most the ids of those windows.
import { performance } from 'node:perf_hooks';
import { TimeQueue } from './internal/time-queue.js';
import type { Metrics } from './metrics.js';

export interface DeliveryClockOptions {
  /** Histogram of latencies from the generator's send time. @default 'ws.delivery' */
  metric?: string;
  /** Histogram of the enqueuedAt fallback. @default `${metric}.enqueuedAt` */
  fallbackMetric?: string;
  /**
   * How long a delivery waits for its enqueue answer before it is counted as a message
   * this generator did not send (fallback figure). @default 30000
   */
  matchWindowMs?: number;
  /**
   * How long a send waits for its first delivery before it is forgotten (lost, or stuck
   * in a backlog: a delivery after that gets the fallback figure). @default 300000
   */
  sentRetainMs?: number;
  /** Monotonic clock in ms. @default performance.now */
  now?: () => number;
}

interface EarlyDelivery {
  receivedAt: number;
  fallbackMs: number;
}

export class DeliveryClock {
  readonly metric: string;
  readonly fallbackMetric: string;
  private readonly metrics: Metrics;
  private readonly matchWindowMs: number;
  private readonly sentRetainMs: number;
  private readonly now: () => number;
  /** id → performance.now() of the enqueue request, until its first delivery. */
  private readonly sent = new Map<string, number>();
  /** Sent ids by the time their answer was reported, for expiry. */
  private readonly sentQueue = new TimeQueue<string>();
  /** Deliveries seen before their enqueue answer. */
  private readonly early = new Map<string, EarlyDelivery>();
  /** Early ids in arrival order, for expiry. */
  private readonly earlyQueue = new TimeQueue<string>();

  constructor(metrics: Metrics, options: DeliveryClockOptions = {}) {
    this.metrics = metrics;
    this.metric = options.metric ?? 'ws.delivery';
    this.fallbackMetric = options.fallbackMetric ?? `${this.metric}.enqueuedAt`;
    this.matchWindowMs = options.matchWindowMs ?? 30_000;
    this.sentRetainMs = options.sentRetainMs ?? 300_000;
    this.now = options.now ?? (() => performance.now());
  }

  /** The generator's enqueue of `id` was sent at `sentAt` (performance.now(), taken before the request). */
  enqueued(id: string, sentAt: number): void {
    const early = this.early.get(id);
    if (early) {
      this.early.delete(id);
      this.metrics.recordLatency(this.metric, Math.max(0, early.receivedAt - sentAt));
      return;
    }
    const now = this.now();
    this.sent.set(id, sentAt);
    this.sentQueue.push(id, now);
    this.expireSent(now - this.sentRetainMs);
  }

  /**
   * A FIRST delivery (attempt 1) of `id` arrived at `receivedAt` (performance.now()).
   * `fallbackMs` is the gateway-clock figure (Date.now() − enqueuedAt), used only if the
   * generator turns out not to have sent this message.
   */
  delivered(id: string, fallbackMs: number, receivedAt = this.now()): void {
    const sentAt = this.sent.get(id);
    if (sentAt !== undefined) {
      this.sent.delete(id);
      this.metrics.recordLatency(this.metric, Math.max(0, receivedAt - sentAt));
    } else if (!this.early.has(id)) {
      this.early.set(id, { receivedAt, fallbackMs: Math.max(0, fallbackMs) });
      this.earlyQueue.push(id, receivedAt);
    }
    this.expire(receivedAt - this.matchWindowMs);
  }

  /** Deliveries still waiting for an enqueue answer. */
  get pending(): number {
    return this.early.size;
  }

  /** Ids held: sends waiting for their first delivery, deliveries waiting for their answer. */
  get size(): { sent: number; early: number } {
    return { sent: this.sent.size, early: this.early.size };
  }

  /** End of the run: every unmatched delivery gets its fallback figure; sends never delivered are forgotten. */
  flush(): void {
    this.expire(Infinity);
    this.sent.clear();
    this.sentQueue.clear();
  }

  /** Deliveries received at or before `before` that no enqueue answer matched: not ours. */
  private expire(before: number): void {
    this.earlyQueue.drain(before, (id) => {
      const d = this.early.get(id);
      if (!d) return; // matched meanwhile
      this.early.delete(id);
      this.metrics.recordLatency(this.fallbackMetric, d.fallbackMs);
    });
    this.expireSent(this.now() - this.sentRetainMs);
  }

  /** Sends answered at or before `before` and still not delivered: forgotten. */
  private expireSent(before: number): void {
    this.sentQueue.drain(before, (id) => this.sent.delete(id));
  }
}
