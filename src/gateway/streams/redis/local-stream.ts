// This gateway's side of one (tenant, stream) of the redis engine: its local consumers,
// the credit they can use, and the delivery rules that happen here — strict credit,
// the in-flight cap, round robin between local consumers, ack timeouts. Messages are
// read from Redis by the engine's reader (never more than `capacity`), handed to
// `deliverEntries`, and settled or returned through the engine's scripts.
import type { PoisonReason } from '../poison.js';
import { clampNackDelay, dlqNameOf, isDlqName, sinkFailed } from '../rules.js';
import type { Logger } from 'pino';
import type { DeliveryCounters } from '../counters.js';
import type { StreamPolicy } from '../../config/resolved.js';
import type { TimerEntry, TimerHeap } from '../timer-heap.js';
import type { HeldDelivery, RedisConsumer } from './consumer.js';
import { streamKeys, type DecodedEntry, type StreamKeys } from './keys.js';
import type { ReleaseMode } from './scripts.js';

/** Engine-wide counters of this gateway instance. */
export interface RedisEngineCounters extends DeliveryCounters {
  reclaimed: number;
}

/** What a LocalStream needs from its engine. */
export interface RedisStreamHost {
  readonly timers: TimerHeap;
  readonly logger: Logger;
  readonly counters: RedisEngineCounters;
  readonly nackMaxDelayMs: number;
  /** Longest a read entry waits here for a consumer before it goes back to the stream. */
  readonly parkMaxMs: number;
  /** True once delivery stopped for good (drain/close). */
  readonly stopped: boolean;
  policy(tenant: string, stream: string): StreamPolicy;
  /** XACK + XDEL in Redis (asynchronous, tracked by the engine). */
  ackInRedis(stream: LocalStream, held: HeldDelivery): void;
  /** XACK + XDEL an entry whose message is in flight here under another entry (no counters). */
  dropInRedis(stream: LocalStream, entryId: string): void;
  /** Return a delivered (or read and undelivered) entry to Redis. */
  releaseInRedis(stream: LocalStream, held: HeldDelivery, mode: ReleaseMode, delayMs: number): void;
  /** Record deliveries in the stream's Redis counters. */
  countInRedis(stream: LocalStream, delivered: number, redelivered: number): void;
  /** The stream's usable capacity may have changed: wake the reader. */
  wake(stream: LocalStream): void;
  /** The last local consumer left. */
  unused(stream: LocalStream): void;
}

export class LocalStream {
  readonly keys: StreamKeys;
  readonly isDlq: boolean;
  readonly consumers: RedisConsumer[] = [];
  /** Messages may be waiting in Redis that this gateway has not read yet. */
  dirty = true;
  /** The consumer group exists (created on first use). */
  prepared = false;
  /** Last depth seen in Redis (by a sweep), for totals(). */
  lastDepth = 0;
  /** Where the sweeper's next XAUTOCLAIM continues. */
  reclaimCursor = '0-0';
  /** The last entry a read returned here: entries pending for this instance after it came from a read whose answer was lost. */
  lastReadId = '0-0';
  /** A read failed, perhaps after Redis ran it: look for its entries (recoverEntries) before reading on. */
  recoverReads = false;
  private next = 0;
  /** Unsettled deliveries of every local consumer, by message id. */
  private readonly inFlight = new Map<string, HeldDelivery>();
  /** Entries read for local consumers that could not take them yet, in stream order (see flush). */
  private readonly parked: Array<{ entry: DecodedEntry; at: number }> = [];
  private parkTimer: TimerEntry | undefined;

  constructor(
    readonly tenant: string,
    readonly name: string,
    private readonly host: RedisStreamHost,
  ) {
    this.keys = streamKeys(tenant, name);
    this.isDlq = isDlqName(name);
  }

  get dlqName(): string {
    return dlqNameOf(this.name);
  }

  /** Messages the local consumers can take now: what the reader may read, and no more. */
  get capacity(): number {
    let sum = 0;
    for (const c of this.consumers) sum += c.capacity;
    return sum;
  }

  get inflight(): number {
    let sum = 0;
    for (const c of this.consumers) sum += c.held.size;
    return sum;
  }

  /** maxAttempts for the scripts: 0 = never dead-letter (a .dlq stream). */
  maxAttempts(): number {
    return this.isDlq ? 0 : this.host.policy(this.tenant, this.name).maxAttempts;
  }

  attach(consumer: RedisConsumer): void {
    this.consumers.push(consumer);
    this.host.counters.subscribers++;
  }

  changed(): void {
    this.dirty = true;
    this.host.wake(this);
  }

  /** Entries read and not yet handed over (see flush). */
  get parkedCount(): number {
    return this.parked.length;
  }

  /** Deliver entries the reader read for this stream, in order, round robin over consumers with capacity. */
  deliverEntries(entries: DecodedEntry[], more: boolean): void {
    if (entries.length > 0) this.lastReadId = entries[entries.length - 1]!.entryId;
    const at = Date.now();
    for (const entry of entries) this.parked.push({ entry, at });
    this.flush(more);
  }

  /**
   * Entries pending for this instance after lastReadId, found after a read failed: Redis
   * ran the read and its answer was lost with the connection. Nobody has seen them, so
   * they are handed over like a read's, attempt unchanged (or returned undelivered) —
   * left to a sweeper they would come back as ack timeouts, with an attempt never made.
   */
  recoverEntries(entries: DecodedEntry[]): void {
    const known = new Set<string>();
    for (const h of this.inFlight.values()) known.add(h.entryId);
    for (const p of this.parked) known.add(p.entry.entryId);
    const lost = entries.filter((e) => !known.has(e.entryId));
    if (lost.length === 0) return;
    this.host.logger.warn(
      { tenant: this.tenant, stream: this.name, entries: lost.length },
      'entries of a read whose answer was lost are delivered now (attempt unchanged)',
    );
    this.deliverEntries(lost, true);
  }

  /**
   * Hand over read entries in stream order while local consumers can take them. When
   * capacity shrank while the read was in flight (a consumer paused by socket
   * backpressure, or closed), the rest stays parked here, ahead of anything read later,
   * so first deliveries keep their FIFO order; the reader flushes again once a consumer
   * can take more. Parked entries are pending in Redis since their read, so they go back
   * to the stream undelivered (attempt unchanged) after parkMaxMs — well before a
   * sweeper would reclaim them — and at once when the last consumer leaves or delivery stops.
   */
  flush(more = false): void {
    let delivered = 0;
    let redelivered = 0;
    const now = Date.now();
    while (this.parked.length > 0) {
      const { entry, at } = this.parked[0]!;
      const current = this.inFlight.get(entry.id);
      if (current && isCopy(current, entry)) {
        this.parked.shift();
        this.rebind(current, entry);
        continue;
      }
      const giveBack = this.host.stopped || this.consumers.length === 0 || now - at >= this.host.parkMaxMs;
      const consumer = giveBack ? undefined : this.pick();
      if (!giveBack && !consumer) break;
      this.parked.shift();
      const held: HeldDelivery = {
        entryId: entry.entryId,
        message: {
          id: entry.id,
          stream: this.name,
          envelope: entry.envelope,
          attempt: entry.n + 1,
          enqueuedAt: entry.enqueuedAt,
        },
        timer: undefined,
      };
      if (!consumer) {
        // Never delivered: it goes back with its attempt count unchanged.
        this.host.releaseInRedis(this, held, 'requeue', 0);
        continue;
      }
      if (consumer.creditLeft === 1 && (more || this.parked.length > 0)) this.host.counters.creditStalls++;
      if (!this.deliver(consumer, held)) continue;
      delivered++;
      if (held.message.attempt > 1) redelivered++;
    }
    if (delivered > 0) this.host.countInRedis(this, delivered, redelivered);
    this.armParkTimer(now);
  }

  private armParkTimer(now: number): void {
    const head = this.parked[0];
    if (!head || this.parkTimer) return;
    this.parkTimer = this.host.timers.schedule(Math.max(0, head.at + this.host.parkMaxMs - now), () => {
      this.parkTimer = undefined;
      this.flush();
    });
  }

  /**
   * A second entry of a message that is in flight here: the enqueue script ran twice (a
   * Redis client resent an unanswered command after a reconnect; ours does not), or a sweeper reclaimed the
   * delivery while it was still held (ackTimeoutMs shortened by a reload). Delivering it
   * again would put one id twice in flight (one ack could settle only one entry): the
   * delivery keeps its consumer and attempt, the new entry backs it, the old one is
   * dropped. Its ack timer ends no later than the current ackTimeoutMs from now, before
   * any sweeper (which measures the new entry's idle time) would reclaim it.
   */
  private rebind(held: HeldDelivery, entry: DecodedEntry): void {
    const previous = held.entryId;
    held.entryId = entry.entryId;
    this.host.dropInRedis(this, previous);
    const { ackTimeoutMs } = this.host.policy(this.tenant, this.name);
    const timer = held.timer;
    if (timer && timer.at > Date.now() + ackTimeoutMs) {
      this.host.timers.cancel(timer);
      held.timer = this.host.timers.schedule(ackTimeoutMs, timer.fire);
    }
    this.host.logger.warn(
      { tenant: this.tenant, stream: this.name, id: entry.id, entryId: entry.entryId, previous },
      'a message in flight here was read again (a resent enqueue or a reclaim); the delivery continues under the new entry',
    );
  }

  private pick(): RedisConsumer | undefined {
    const n = this.consumers.length;
    for (let k = 0; k < n; k++) {
      const c = this.consumers[(this.next + k) % n]!;
      if (c.capacity > 0) {
        this.next = (this.next + k + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  /** False when the sink refused the message itself (poison.ts): then it is not counted as delivered. */
  private deliver(consumer: RedisConsumer, held: HeldDelivery): boolean {
    const c = this.host.counters;
    consumer.held.set(held.message.id, held);
    this.inFlight.set(held.message.id, held);
    consumer.creditLeft--;
    c.inflight++;
    c.delivered++;
    if (held.message.attempt > 1) c.redelivered++;
    const { ackTimeoutMs } = this.host.policy(this.tenant, this.name);
    held.timer = this.host.timers.schedule(ackTimeoutMs, () => this.ackTimedOut(consumer, held));
    try {
      consumer.sink.deliver(held.message);
    } catch (err) {
      const reason = sinkFailed(err, { logger: this.host.logger, tenant: this.tenant, stream: this.name, consumer });
      if (reason) {
        this.poisoned(consumer, held, reason);
        return false;
      }
    }
    return true;
  }

  /** Undo the delivery and dead-letter the message at once (poison.ts); on a .dlq stream, hold it back. */
  private poisoned(consumer: RedisConsumer, held: HeldDelivery, reason: PoisonReason): void {
    const c = this.host.counters;
    this.unhold(consumer, held.message.id);
    consumer.creditLeft++;
    c.delivered--;
    if (held.message.attempt > 1) c.redelivered--;
    this.host.releaseInRedis(this, held, reason, this.isDlq ? this.host.nackMaxDelayMs : 0);
  }

  ack(consumer: RedisConsumer, id: string): 'ok' | 'unknown' {
    const held = this.unhold(consumer, id);
    if (!held) return 'unknown';
    this.host.counters.acked++;
    this.host.ackInRedis(this, held);
    this.changed();
    return 'ok';
  }

  nack(consumer: RedisConsumer, id: string, delayMs: number): 'ok' | 'unknown' {
    const held = this.unhold(consumer, id);
    if (!held) return 'unknown';
    this.host.counters.nacked++;
    this.host.releaseInRedis(this, held, 'nack', clampNackDelay(delayMs, this.host.nackMaxDelayMs));
    this.changed();
    return 'ok';
  }

  /** Unsubscribe (or drain): every held message returns to the stream in Redis. */
  detach(consumer: RedisConsumer, mode: 'disconnect' | 'drain'): void {
    const i = this.consumers.indexOf(consumer);
    if (i >= 0) {
      this.consumers.splice(i, 1);
      this.host.counters.subscribers--;
      if (this.next > i) this.next--;
    }
    const held = [...consumer.held.values()];
    consumer.held.clear();
    for (const h of held) {
      this.inFlight.delete(h.message.id);
      this.host.timers.cancel(h.timer);
      h.timer = undefined;
      this.host.counters.inflight--;
    }
    // Tell the reader first (a CLIENT UNBLOCK goes out on the command connection ahead of
    // the returns): a blocked read of this stream that no local consumer can serve any more
    // would otherwise take a returned entry, park it for parkMaxMs and put it back behind
    // the others, so other instances would get it late and out of order.
    const last = this.consumers.length === 0;
    if (last) this.host.unused(this);
    else this.changed();
    for (const h of held) this.host.releaseInRedis(this, h, mode, 0);
    if (last) this.flush(); // nobody left to take parked entries: they go back
  }

  private ackTimedOut(consumer: RedisConsumer, held: HeldDelivery): void {
    if (consumer.held.get(held.message.id) !== held) return;
    held.timer = undefined;
    this.unhold(consumer, held.message.id);
    this.host.counters.timedOut++;
    this.host.releaseInRedis(this, held, 'timeout', 0);
    this.changed();
  }

  private unhold(consumer: RedisConsumer, id: string): HeldDelivery | undefined {
    const held = consumer.held.get(id);
    if (!held) return undefined;
    consumer.held.delete(id);
    this.inFlight.delete(id);
    this.host.timers.cancel(held.timer);
    held.timer = undefined;
    this.host.counters.inflight--;
    return held;
  }
}

/** The entry holds the same message as the delivery (not another message that happens to share its id). */
function isCopy(held: HeldDelivery, entry: DecodedEntry): boolean {
  const m = held.message;
  return m.enqueuedAt === entry.enqueuedAt && JSON.stringify(m.envelope) === JSON.stringify(entry.envelope);
}
