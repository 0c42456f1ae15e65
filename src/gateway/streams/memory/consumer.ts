// One subscriber's handle. State (credit, pause, in-flight set) lives here; every rule
// that moves messages lives in MemoryStream, which this delegates to.
import type { Consumer, DeliverySink, SettleResult } from '../types.js';
import type { MessageRecord } from './record.js';
import type { MemoryStream } from './stream.js';

export class MemoryConsumer implements Consumer {
  /** Unsettled deliveries by message id, in delivery order. */
  readonly held = new Map<string, MessageRecord>();
  /** Mutated only by MemoryStream. */
  creditLeft = 0;
  paused = false;
  closed = false;

  constructor(
    readonly id: string,
    readonly stream: MemoryStream,
    readonly sink: DeliverySink,
    readonly maxInflight: number,
  ) {}

  get credit(): number {
    return this.creditLeft;
  }

  get inflight(): number {
    return this.held.size;
  }

  /** May receive a delivery now. */
  get eligible(): boolean {
    return !this.closed && !this.paused && this.creditLeft > 0 && this.held.size < this.maxInflight;
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

  /** Drain: return held messages without counting them against maxAttempts' dead letter. */
  withdraw(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.detach(this, 'drain');
  }
}
