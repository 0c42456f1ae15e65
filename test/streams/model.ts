// A reference model of the delivery rules of one stream (docs DESIGN, "WebSocket
// /v1/subscribe" rules), small enough to be obviously right, for the property suite
// (engines.property.test.ts). Pure and deterministic: no timers, no I/O.
//
// What it decides: which message must go out next (first deliveries FIFO; returned
// messages per the engine's `order`), which consumers may receive (credit, in-flight
// cap, open, delivery not stopped), the answer to every settle ('ok' / 'unknown'),
// attempts (+1 per delivery, the same id), dead-lettering (a nack, ack timeout or
// disconnect of the last allowed attempt goes to NAME.dlq; a drain never does), and
// maxDepth (waiting + delayed, not in flight).
//
// What it leaves to the engine: *which* of the consumers with capacity gets a message
// (round robin details differ between engines and are not a DESIGN rule). The driver
// feeds every observed delivery to `delivered`, which checks it is allowed.
//
// Where returned messages go is the one rule the engines legitimately differ on:
// memory serves returned messages before fresh ones ('returns-first'), redis appends
// them to the tail of the Redis stream ('returns-at-tail'). Either way first
// deliveries stay FIFO, which is what DESIGN requires. DESIGN says nothing about the
// order of *re*deliveries, and on redis it is not fully deterministic: a returned entry
// that a blocked read picks up as its consumer leaves (the reader's CLIENT UNBLOCK losing
// the race with the start of the read) is parked and goes back to the tail again
// (local-stream.ts: detach, flush). So `strictReturns: false` accepts any waiting
// returned message where a redelivery is due, while first deliveries stay exact.

export type ReturnOrder = 'returns-first' | 'returns-at-tail';

export interface ModelOptions {
  maxAttempts: number;
  maxDepth: number;
  order: ReturnOrder;
  /** Redeliveries exactly in the order of `order` (memory), or any returned message may go first (redis). */
  strictReturns: boolean;
}

export type MessageState = 'waiting' | 'delayed' | 'inflight' | 'acked' | 'dead';

export interface ModelMessage {
  readonly id: string;
  /** Enqueue order, from 0. */
  readonly seq: number;
  /** Deliveries so far. */
  attempt: number;
  state: MessageState;
  /** Consumer index while in flight. */
  holder: number | undefined;
}

export interface ModelConsumer {
  readonly maxInflight: number;
  credit: number;
  /** Unsettled deliveries, in delivery order. */
  readonly held: string[];
  closed: boolean;
  /** Transport backpressure: no deliveries, credit kept. */
  paused: boolean;
}

export type ReleaseReason = 'nack' | 'timeout' | 'disconnect';

/** A delivery the rules do not allow. */
export class ModelViolation extends Error {
  override name = 'ModelViolation';
}

export class DeliveryModel {
  readonly messages = new Map<string, ModelMessage>();
  readonly consumers: ModelConsumer[] = [];
  /** Dead-lettered ids, in the order they reached NAME.dlq, with why. */
  readonly dlq: Array<{ id: string; reason: ReleaseReason | 'unframeable' }> = [];
  /** Ids acked, in order (each at most once). */
  readonly acked: string[] = [];
  stopped = false;
  /** Never-delivered messages, enqueue order. */
  private readonly fresh: string[] = [];
  /** Returned messages waiting for redelivery ('returns-first' only; otherwise they join `fresh`'s tail). */
  private readonly returned: string[] = [];

  constructor(readonly o: ModelOptions) {}

  /** Waiting + delayed: what maxDepth limits. */
  get depth(): number {
    return this.waiting + this.count('delayed');
  }

  get waiting(): number {
    return this.fresh.length + this.returned.length;
  }

  get inflight(): number {
    return this.count('inflight');
  }

  /** Ids enqueued, in order. */
  get enqueued(): string[] {
    return [...this.messages.values()].sort((a, b) => a.seq - b.seq).map((m) => m.id);
  }

  /** False when the engine must answer STREAM_FULL. */
  canEnqueue(): boolean {
    return this.depth < this.o.maxDepth;
  }

  enqueue(id: string): void {
    if (this.messages.has(id)) throw new ModelViolation(`enqueue returned a duplicate id ${id}`);
    if (!this.canEnqueue()) throw new ModelViolation('enqueue accepted beyond maxDepth');
    this.messages.set(id, { id, seq: this.messages.size, attempt: 0, state: 'waiting', holder: undefined });
    this.fresh.push(id);
  }

  subscribe(maxInflight: number): number {
    // A subscriber after delivery stopped waits to be closed (it receives nothing, holds nothing).
    this.consumers.push({ maxInflight: Math.max(1, maxInflight), credit: 0, held: [], closed: false, paused: false });
    return this.consumers.length - 1;
  }

  grant(c: number, n: number): void {
    const consumer = this.consumer(c);
    if (!consumer.closed) consumer.credit += n;
  }

  /** Deliveries consumer `c` may take now. */
  capacity(c: number): number {
    const consumer = this.consumer(c);
    if (consumer.closed || consumer.paused || this.stopped) return 0;
    return Math.max(0, Math.min(consumer.credit, consumer.maxInflight - consumer.held.length));
  }

  /** The message that must go out next, if any. */
  next(): string | undefined {
    return this.returned[0] ?? this.fresh[0];
  }

  /** Nothing more can be delivered: no waiting message, or no consumer with capacity. */
  get stable(): boolean {
    return this.next() === undefined || this.consumers.every((_, i) => this.capacity(i) === 0);
  }

  /** An observed delivery: checked against the rules, then applied. */
  delivered(c: number, id: string, attempt: number): void {
    const m = this.take(c, id, attempt);
    const consumer = this.consumer(c);
    consumer.credit--;
    consumer.held.push(id);
    m.attempt = attempt;
    m.state = 'inflight';
    m.holder = c;
  }

  /**
   * An observed delivery the sink refused because of the message itself (poison.ts): it
   * goes to NAME.dlq at once, without using an attempt; the consumer keeps its credit.
   */
  poisoned(c: number, id: string, attempt: number): void {
    const m = this.take(c, id, attempt);
    m.state = 'dead';
    this.dlq.push({ id, reason: 'unframeable' });
  }

  /** Check that `id` may go to consumer `c` now as `attempt`, and take it off its queue. */
  private take(c: number, id: string, attempt: number): ModelMessage {
    const expected = this.next();
    const m = this.messages.get(id);
    if (!m) throw new ModelViolation(`delivered an id never enqueued: ${id}`);
    if (m.state === 'inflight') throw new ModelViolation(`${id} delivered while in flight on consumer ${m.holder}`);
    if (m.state !== 'waiting') throw new ModelViolation(`${id} delivered while ${m.state}`);
    if (this.capacity(c) === 0) {
      const k = this.consumer(c);
      throw new ModelViolation(
        `consumer ${c} got ${id} without capacity (credit ${k.credit}, held ${k.held.length}/${k.maxInflight}, closed ${k.closed}, paused ${k.paused}, stopped ${this.stopped})`,
      );
    }
    if (id !== expected && !this.mayJumpAhead(m)) {
      throw new ModelViolation(`delivered ${id} (seq ${m.seq}) but ${expected} must go first (${this.o.order})`);
    }
    if (attempt !== m.attempt + 1)
      throw new ModelViolation(`${id} delivered as attempt ${attempt}, expected ${m.attempt + 1}`);
    const queue = this.returned.includes(id) ? this.returned : this.fresh;
    queue.splice(queue.indexOf(id), 1);
    return m;
  }

  /** Without strictReturns a redelivery may go before other waiting messages; a first delivery never may. */
  private mayJumpAhead(m: ModelMessage): boolean {
    return !this.o.strictReturns && m.attempt > 0;
  }

  ack(c: number, id: string): 'ok' | 'unknown' {
    if (!this.unhold(c, id)) return 'unknown';
    const m = this.messages.get(id)!;
    m.state = 'acked';
    this.acked.push(id);
    return 'ok';
  }

  /** `delayed`: the clamped delay is > 0 (the message waits; promote() brings it back). */
  nack(c: number, id: string, delayed: boolean): 'ok' | 'unknown' {
    if (!this.unhold(c, id)) return 'unknown';
    this.release(id, 'nack', delayed);
    return 'ok';
  }

  /** The ack timeout of a delivery fired. */
  timeout(c: number, id: string): void {
    if (!this.unhold(c, id)) throw new ModelViolation(`timeout of ${id}, not held by consumer ${c}`);
    this.release(id, 'timeout', false);
  }

  pause(c: number, paused: boolean): void {
    this.consumer(c).paused = paused;
  }

  /** Unsubscribe (or its transport died): its unsettled deliveries return, in delivery order. */
  disconnect(c: number): void {
    const consumer = this.consumer(c);
    if (consumer.closed) return;
    consumer.closed = true;
    for (const id of consumer.held.splice(0)) {
      this.messages.get(id)!.holder = undefined;
      this.release(id, 'disconnect', false);
    }
  }

  /** stopDelivery: every consumer is withdrawn (subscribe order), unsettled deliveries return without a dead letter. */
  drain(): void {
    this.stopped = true;
    for (const consumer of this.consumers) {
      if (consumer.closed) continue;
      consumer.closed = true;
      for (const id of consumer.held.splice(0)) {
        const m = this.messages.get(id)!;
        m.holder = undefined;
        this.requeue(m);
      }
    }
  }

  /** A delayed message's delay is over. */
  promote(id: string): void {
    const m = this.messages.get(id);
    if (m?.state !== 'delayed') throw new ModelViolation(`promote of ${id}, which is ${m?.state}`);
    this.requeue(m);
  }

  /** Waiting ids in the order they must go out. */
  waitingIds(): string[] {
    return [...this.returned, ...this.fresh];
  }

  delayedIds(): string[] {
    return [...this.messages.values()].filter((m) => m.state === 'delayed').map((m) => m.id);
  }

  private release(id: string, reason: ReleaseReason, delayed: boolean): void {
    const m = this.messages.get(id)!;
    if (m.attempt >= this.o.maxAttempts) {
      m.state = 'dead';
      this.dlq.push({ id, reason });
      return;
    }
    if (delayed) m.state = 'delayed';
    else this.requeue(m);
  }

  private requeue(m: ModelMessage): void {
    m.state = 'waiting';
    (this.o.order === 'returns-first' ? this.returned : this.fresh).push(m.id);
  }

  private unhold(c: number, id: string): boolean {
    const consumer = this.consumer(c);
    if (consumer.closed) return false;
    const i = consumer.held.indexOf(id);
    if (i < 0) return false;
    consumer.held.splice(i, 1);
    this.messages.get(id)!.holder = undefined;
    return true;
  }

  private consumer(c: number): ModelConsumer {
    const consumer = this.consumers[c];
    if (!consumer) throw new RangeError(`no consumer ${c}`);
    return consumer;
  }

  private count(state: MessageState): number {
    let n = 0;
    for (const m of this.messages.values()) if (m.state === state) n++;
    return n;
  }
}
