// The state every engine keeps per subscriber — credit, pause, the unsettled deliveries —
// and the Consumer calls on it. The rules that move messages stay in each engine's
// stream object (memory: MemoryStream, redis: LocalStream), which these calls delegate to.
import type { Consumer, DeliverySink, SettleResult } from './types.js';

/** What a consumer delegates to its stream. */
export interface ConsumerStream {
  /** Credit, pause or in-flight changed: deliver what can go now. */
  changed(consumer: CreditConsumer<unknown, ConsumerStream>): void;
  ack(consumer: CreditConsumer<unknown, ConsumerStream>, id: string): SettleResult;
  nack(consumer: CreditConsumer<unknown, ConsumerStream>, id: string, delayMs: number): SettleResult;
  /** The consumer is gone: return its unsettled deliveries ('drain': without counting the attempt). */
  detach(consumer: CreditConsumer<unknown, ConsumerStream>, mode: 'disconnect' | 'drain'): void;
}

export abstract class CreditConsumer<Held, S extends ConsumerStream> implements Consumer {
  /** Unsettled deliveries by message id, in delivery order. */
  readonly held = new Map<string, Held>();
  /** Mutated only by the stream. */
  creditLeft = 0;
  paused = false;
  closed = false;

  constructor(
    readonly id: string,
    readonly stream: S,
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

  /** May receive a delivery now. */
  get eligible(): boolean {
    return this.capacity > 0;
  }

  grant(n: number): void {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`credit must be a positive integer, got ${n}`);
    if (this.closed) return;
    this.creditLeft = Math.min(Number.MAX_SAFE_INTEGER, this.creditLeft + n);
    this.stream.changed(this);
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
    this.stream.changed(this);
  }

  resume(): void {
    if (this.closed || !this.paused) return;
    this.paused = false;
    this.stream.changed(this);
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
