// One local subscriber's handle on a Redis-backed stream. Credit, pause and the set of
// unsettled deliveries live here (in this gateway); settling and returning messages is
// the stream's (LocalStream), which talks to Redis through its engine.
import type { TimerEntry } from '../timer-heap.js';
import type { Consumer, DeliverySink, SettleResult, StreamMessage } from '../types.js';
import type { LocalStream } from './local-stream.js';

/** One unsettled delivery held by a consumer. */
export interface HeldDelivery {
  /** The Redis entry id (XACK target); a second entry of the same message takes over (LocalStream.rebind). */
  entryId: string;
  readonly message: StreamMessage;
  timer: TimerEntry | undefined;
}

export class RedisConsumer implements Consumer {
  /** Unsettled deliveries by message id, in delivery order. */
  readonly held = new Map<string, HeldDelivery>();
  /** Mutated only by LocalStream. */
  creditLeft = 0;
  paused = false;
  closed = false;

  constructor(
    readonly id: string,
    readonly stream: LocalStream,
    readonly sink: DeliverySink,
    readonly maxInflight: number,
  ) {}

  get credit(): number {
    return this.creditLeft;
  }

  get inflight(): number {
    return this.held.size;
  }

  /** Deliveries this consumer can take now: min(credit, room below the in-flight cap). */
  get capacity(): number {
    if (this.closed || this.paused) return 0;
    return Math.max(0, Math.min(this.creditLeft, this.maxInflight - this.held.size));
  }

  grant(n: number): void {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`credit must be a positive integer, got ${n}`);
    if (this.closed) return;
    this.creditLeft = Math.min(Number.MAX_SAFE_INTEGER, this.creditLeft + n);
    this.stream.changed();
  }

  ack(id: string): SettleResult {
    return this.closed ? 'unknown' : this.stream.ack(this, id);
  }

  nack(id: string, delayMs?: number): SettleResult {
    return this.closed ? 'unknown' : this.stream.nack(this, id, delayMs ?? 0);
  }

  pause(): void {
    if (this.closed || this.paused) return;
    this.paused = true;
    this.stream.changed();
  }

  resume(): void {
    if (this.closed || !this.paused) return;
    this.paused = false;
    this.stream.changed();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.detach(this, 'disconnect');
  }

  /** Drain: return held messages without counting the attempt towards the dead letter. */
  withdraw(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.detach(this, 'drain');
  }
}
