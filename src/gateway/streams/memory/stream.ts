// One (tenant, stream): its queues, its consumers and every delivery rule.
//
//  - `fresh` holds never-delivered messages in enqueue order (first deliveries FIFO);
//    `retry` holds returned messages, which go out before fresh ones.
//  - `ready` is the set of consumers that may receive now (credit > 0, below the
//    in-flight cap, not paused). JS Sets keep insertion order, so taking the first and
//    re-adding it at the end is an O(1) round robin between competing consumers.
//  - Credit is checked and decremented synchronously right before each delivery, so
//    no interleaving of grants can over-deliver.
import type { PoisonReason } from '../poison.js';
import { clampNackDelay, dlqNameOf, isDlqName, sinkFailed } from '../rules.js';
import type { StreamStats } from '../types.js';
import type { MemoryConsumer } from './consumer.js';
import { Fifo } from '../fifo.js';
import { toMessage, type MessageRecord, type ReleaseReason, type StreamHost } from './record.js';

/** Deliveries per pump before yielding to the event loop. */
const PUMP_BATCH = 256;

export class MemoryStream {
  readonly fresh = new Fifo<MessageRecord>();
  readonly retry = new Fifo<MessageRecord>();
  readonly consumers = new Set<MemoryConsumer>();
  private readonly ready = new Set<MemoryConsumer>();
  delayed = 0;
  inflight = 0;
  private pumping = false;
  readonly isDlq: boolean;
  readonly counts = { enqueued: 0, delivered: 0, acked: 0, nacked: 0, redelivered: 0, deadLettered: 0 };

  constructor(
    readonly tenant: string,
    readonly name: string,
    /** The engine's map key for (tenant, name). */
    readonly key: string,
    private readonly host: StreamHost,
  ) {
    this.isDlq = isDlqName(name);
  }

  /** Waiting + delayed (not in flight): what maxDepth limits. */
  get depth(): number {
    return this.fresh.length + this.retry.length + this.delayed;
  }

  /** Nothing waiting, delayed or in flight and no consumers: the engine may forget it. */
  get idle(): boolean {
    return this.consumers.size === 0 && this.inflight === 0 && this.depth === 0;
  }

  /** Sizes of the internal structures (tests check that nothing is left behind). */
  internals(): {
    fresh: number;
    retry: number;
    slots: number;
    delayed: number;
    inflight: number;
    held: number;
    consumers: number;
    ready: number;
  } {
    let held = 0;
    for (const c of this.consumers) held += c.held.size;
    return {
      fresh: this.fresh.length,
      retry: this.retry.length,
      slots: this.fresh.capacity + this.retry.capacity,
      delayed: this.delayed,
      inflight: this.inflight,
      held,
      consumers: this.consumers.size,
      ready: this.ready.size,
    };
  }

  get dlqName(): string {
    return dlqNameOf(this.name);
  }

  stats(): StreamStats {
    return {
      stream: this.name,
      depth: this.depth,
      inflight: this.inflight,
      ...this.countsView(),
      subscribers: this.consumers.size,
    };
  }

  private countsView() {
    const { delivered, acked, nacked, redelivered, deadLettered } = this.counts;
    return { delivered, acked, nacked, redelivered, deadLettered };
  }

  /** A new message (or a dead letter arriving here). */
  add(record: MessageRecord): void {
    this.fresh.push(record);
    this.counts.enqueued++;
    this.host.counters.enqueued++;
    this.host.counters.depth++;
    this.pump();
  }

  attach(consumer: MemoryConsumer): void {
    this.consumers.add(consumer);
    this.host.counters.subscribers++;
  }

  /** A consumer's credit/pause/in-flight changed: update its readiness and deliver. */
  changed(consumer: MemoryConsumer): void {
    if (consumer.eligible) {
      if (!this.ready.has(consumer)) this.ready.add(consumer);
      this.pump();
    } else {
      this.ready.delete(consumer);
    }
  }

  pump(): void {
    // Re-entrant calls (a sink that settles synchronously) are covered by the running
    // loop, which re-checks its conditions every iteration.
    if (this.pumping || this.host.stopped) return;
    this.pumping = true;
    try {
      let budget = PUMP_BATCH;
      while (this.ready.size > 0 && (this.retry.length > 0 || this.fresh.length > 0)) {
        if (budget-- === 0) {
          this.host.schedulePump(this);
          break;
        }
        const consumer = this.ready.values().next().value as MemoryConsumer;
        const record = (this.retry.shift() ?? this.fresh.shift()) as MessageRecord;
        this.host.counters.depth--;
        this.ready.delete(consumer);
        this.deliver(consumer, record);
        if (consumer.eligible) this.ready.add(consumer); // to the back: round robin
        if (this.host.stopped) break;
      }
    } finally {
      this.pumping = false;
    }
  }

  private deliver(consumer: MemoryConsumer, record: MessageRecord): void {
    const c = this.host.counters;
    record.attempt++;
    record.holder = consumer;
    consumer.held.set(record.id, record);
    consumer.creditLeft--;
    this.inflight++;
    c.inflight++;
    this.counts.delivered++;
    c.delivered++;
    if (record.attempt > 1) {
      this.counts.redelivered++;
      c.redelivered++;
    }
    if (consumer.creditLeft === 0 && this.depth > 0) c.creditStalls++;
    const { ackTimeoutMs } = this.host.policy(this.tenant, this.name);
    record.timer = this.host.timers.schedule(ackTimeoutMs, () => this.ackTimedOut(record));
    try {
      consumer.sink.deliver(toMessage(this.name, record));
    } catch (err) {
      const reason = sinkFailed(err, { logger: this.host.logger, tenant: this.tenant, stream: this.name, consumer });
      if (reason) this.poisoned(consumer, record, reason);
    }
  }

  /** The sink could not deliver this message because of the message (poison.ts): undo the delivery, dead-letter it. */
  private poisoned(consumer: MemoryConsumer, record: MessageRecord, reason: PoisonReason): void {
    const c = this.host.counters;
    this.unhold(consumer, record.id);
    this.host.timers.cancel(record.timer);
    record.timer = undefined;
    consumer.creditLeft++;
    this.counts.delivered--;
    c.delivered--;
    if (record.attempt > 1) {
      this.counts.redelivered--;
      c.redelivered--;
    }
    if (this.isDlq) {
      this.host.logger.warn(
        { tenant: this.tenant, stream: this.name, id: record.id, reason },
        'undeliverable message held back on a dead-letter stream',
      );
      this.release(record, 'timeout', this.host.nackMaxDelayMs);
      return;
    }
    this.counts.deadLettered++;
    c.deadLettered++;
    this.host.deadLetter(this, record, reason);
  }

  ack(consumer: MemoryConsumer, id: string): 'ok' | 'unknown' {
    const record = this.unhold(consumer, id);
    if (!record) return 'unknown';
    this.host.timers.cancel(record.timer);
    record.timer = undefined;
    this.counts.acked++;
    this.host.counters.acked++;
    this.changed(consumer);
    return 'ok';
  }

  nack(consumer: MemoryConsumer, id: string, delayMs: number): 'ok' | 'unknown' {
    const record = this.unhold(consumer, id);
    if (!record) return 'unknown';
    this.host.timers.cancel(record.timer);
    record.timer = undefined;
    this.counts.nacked++;
    this.host.counters.nacked++;
    this.release(record, 'nack', clampNackDelay(delayMs, this.host.nackMaxDelayMs));
    this.changed(consumer);
    this.pump();
    return 'ok';
  }

  /** Unsubscribe (or drain): every held message returns to this stream. */
  detach(consumer: MemoryConsumer, mode: 'disconnect' | 'drain'): void {
    this.ready.delete(consumer);
    if (this.consumers.delete(consumer)) this.host.counters.subscribers--;
    const held = [...consumer.held.values()];
    consumer.held.clear();
    for (const record of held) {
      this.host.timers.cancel(record.timer);
      record.timer = undefined;
      record.holder = undefined;
      this.inflight--;
      this.host.counters.inflight--;
      if (mode === 'drain') this.requeue(record);
      else this.release(record, 'disconnect', 0);
    }
    this.pump();
    // Messages leave a stream only through a consumer, so the last consumer leaving is
    // the only moment a stream can become idle.
    this.host.streamMayBeIdle(this);
  }

  private ackTimedOut(record: MessageRecord): void {
    const consumer = record.holder;
    if (!consumer) return;
    record.timer = undefined;
    this.unhold(consumer, record.id);
    this.host.counters.timedOut++;
    this.release(record, 'timeout', 0);
    this.changed(consumer);
    this.pump();
  }

  private unhold(consumer: MemoryConsumer, id: string): MessageRecord | undefined {
    const record = consumer.held.get(id);
    if (!record) return undefined;
    consumer.held.delete(id);
    record.holder = undefined;
    this.inflight--;
    this.host.counters.inflight--;
    return record;
  }

  /** A message came back unsettled: dead-letter it after its last attempt, else redeliver (maybe later). */
  private release(record: MessageRecord, reason: ReleaseReason, delayMs: number): void {
    const { maxAttempts } = this.host.policy(this.tenant, this.name);
    if (!this.isDlq && record.attempt >= maxAttempts) {
      this.counts.deadLettered++;
      this.host.counters.deadLettered++;
      this.host.deadLetter(this, record, reason);
      return;
    }
    if (delayMs <= 0) {
      this.requeue(record);
      return;
    }
    this.delayed++;
    this.host.counters.depth++;
    record.timer = this.host.timers.schedule(delayMs, () => {
      record.timer = undefined;
      this.delayed--;
      this.host.counters.depth--;
      this.requeue(record);
      this.pump();
    });
  }

  private requeue(record: MessageRecord): void {
    this.retry.push(record);
    this.host.counters.depth++;
  }

  /** Forget everything (engine close). */
  clear(): void {
    for (const c of [...this.consumers]) c.closed = true;
    this.consumers.clear();
    this.ready.clear();
    this.fresh.clear();
    this.retry.clear();
  }
}
