// The in-memory streams engine (CONDUIT_STREAMS_BACKEND=memory): embedded, not
// durable. Owns the streams of every tenant, one timer heap for all ack timeouts and
// nack delays, and the engine-wide counters. All state lives in this object.
import type { PoisonReason } from '../poison.js';
import type { Logger } from 'pino';
import { newCounters } from '../counters.js';
import type { StreamPolicy } from '../../config/resolved.js';
import { GatewayError } from '../../errors.js';
import { streamFullError } from '../rules.js';
import { createIdGenerator, type IdGenerator } from '../ids.js';
import { TimerHeap } from '../timer-heap.js';
import type {
  Consumer,
  DeliverySink,
  EnqueueResult,
  Envelope,
  StreamStats,
  StreamsEngine,
  StreamTotals,
  SubscribeOptions,
} from '../types.js';
import { MemoryConsumer } from './consumer.js';
import type { EngineCounters, MessageRecord, ReleaseReason, StreamHost } from './record.js';
import { MemoryStream } from './stream.js';

export interface MemoryEngineOptions {
  policy: (tenant: string, stream: string) => StreamPolicy;
  logger: Logger;
  /** Upper bound for a nack's delayMs (CONDUIT_NACK_MAX_DELAY_MS). */
  nackMaxDelayMs: number;
  /** Retry-After seconds on STREAM_FULL (the redis engine's option of the same name). @default 1 */
  retryAfterS?: number;
  /** An idle stream is forgotten (counters included) once idle this long. @default 600000 (10 min) */
  idleStreamTtlMs?: number;
  /** More idle streams than this: the longest idle are forgotten at once. @default 10000 */
  maxIdleStreams?: number;
  now?: () => number;
}

export const IDLE_STREAM_TTL_MS = 10 * 60_000;
export const MAX_IDLE_STREAMS = 10_000;

/** Sizes of the engine's internal structures: all zero once every message is settled. */
export interface EngineInternals {
  streams: number;
  idleStreams: number;
  timers: number;
  pendingPumps: number;
  /** Summed over streams. */
  fresh: number;
  retry: number;
  /** Backing-array slots of the streams' queues (dead ones included). */
  queueSlots: number;
  delayed: number;
  inflight: number;
  /** Entries in the consumers' in-flight maps. */
  held: number;
  consumers: number;
  ready: number;
}

const emptyStats = (stream: string): StreamStats => ({
  stream,
  depth: 0,
  inflight: 0,
  delivered: 0,
  acked: 0,
  nacked: 0,
  redelivered: 0,
  deadLettered: 0,
  subscribers: 0,
});

export class MemoryStreamsEngine implements StreamsEngine, StreamHost {
  readonly kind = 'memory' as const;
  readonly timers: TimerHeap;
  readonly logger: Logger;
  readonly nackMaxDelayMs: number;
  readonly counters: EngineCounters = newCounters({ streamsEvicted: 0, depth: 0 });
  stopped = false;
  private closed = false;
  private readonly streams = new Map<string, MemoryStream>();
  /** Idle streams by the time they became idle, oldest first (Map insertion order). */
  private readonly idle = new Map<MemoryStream, number>();
  private readonly idleTtlMs: number;
  private readonly maxIdle: number;
  private readonly now: () => number;
  private readonly nextId: IdGenerator;
  private consumerSeq = 0;
  private readonly pending = new Set<MemoryStream>();
  private immediate: NodeJS.Immediate | undefined;

  constructor(private readonly opts: MemoryEngineOptions) {
    this.logger = opts.logger;
    this.nackMaxDelayMs = opts.nackMaxDelayMs;
    this.timers = new TimerHeap((err) => this.logger.error({ err }, 'streams timer callback failed'), opts.now);
    this.nextId = createIdGenerator(opts.now);
    this.now = opts.now ?? Date.now;
    this.idleTtlMs = opts.idleStreamTtlMs ?? IDLE_STREAM_TTL_MS;
    this.maxIdle = opts.maxIdleStreams ?? MAX_IDLE_STREAMS;
  }

  policy(tenant: string, stream: string): StreamPolicy {
    return this.opts.policy(tenant, stream);
  }

  async enqueue(tenant: string, stream: string, envelope: Envelope): Promise<EnqueueResult> {
    this.assertOpen();
    const existing = this.streams.get(key(tenant, stream));
    const { maxDepth } = this.opts.policy(tenant, stream);
    if (existing !== undefined && existing.depth >= maxDepth) {
      throw streamFullError(stream, maxDepth, this.opts.retryAfterS);
    }
    const record: MessageRecord = {
      id: this.nextId(),
      envelope,
      enqueuedAt: this.now(),
      attempt: 0,
      holder: undefined,
      timer: undefined,
    };
    (existing !== undefined ? this.touch(existing) : this.stream(tenant, stream)).add(record);
    return { id: record.id, stream };
  }

  async stats(tenant: string, stream: string): Promise<StreamStats> {
    return this.streams.get(key(tenant, stream))?.stats() ?? emptyStats(stream);
  }

  subscribe(tenant: string, stream: string, sink: DeliverySink, options: SubscribeOptions): Consumer {
    this.assertOpen();
    const s = this.stream(tenant, stream);
    const consumer = new MemoryConsumer(`c${++this.consumerSeq}`, s, sink, Math.max(1, options.maxInflight));
    // After stopDelivery nothing is delivered again: a late subscriber just waits to be closed.
    s.attach(consumer);
    return consumer;
  }

  totals(): StreamTotals {
    const c = this.counters;
    return {
      enqueued: c.enqueued,
      delivered: c.delivered,
      acked: c.acked,
      nacked: c.nacked,
      redelivered: c.redelivered,
      deadLettered: c.deadLettered,
      depth: c.depth,
      inflight: c.inflight,
      streams: this.streams.size,
      subscribers: c.subscribers,
      timedOut: c.timedOut,
      creditStalls: c.creditStalls,
      streamsEvicted: c.streamsEvicted,
    };
  }

  internals(): EngineInternals {
    const sum: EngineInternals = {
      streams: this.streams.size,
      idleStreams: this.idle.size,
      timers: this.timers.size,
      pendingPumps: this.pending.size,
      fresh: 0,
      retry: 0,
      queueSlots: 0,
      delayed: 0,
      inflight: 0,
      held: 0,
      consumers: 0,
      ready: 0,
    };
    for (const s of this.streams.values()) {
      const i = s.internals();
      sum.fresh += i.fresh;
      sum.retry += i.retry;
      sum.queueSlots += i.slots;
      sum.delayed += i.delayed;
      sum.inflight += i.inflight;
      sum.held += i.held;
      sum.consumers += i.consumers;
      sum.ready += i.ready;
    }
    return sum;
  }

  async stopDelivery(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelPending();
    for (const s of this.streams.values()) {
      for (const consumer of [...s.consumers]) consumer.withdraw();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.stopDelivery();
    this.closed = true;
    this.timers.clear();
    for (const s of this.streams.values()) s.clear();
    this.streams.clear();
    this.idle.clear();
  }

  deadLetter(from: MemoryStream, record: MessageRecord, reason: ReleaseReason | PoisonReason): void {
    const dlq = this.stream(from.tenant, from.dlqName);
    this.logger.warn(
      { tenant: from.tenant, stream: from.name, id: record.id, attempts: record.attempt, reason, dlq: dlq.name },
      'message dead-lettered',
    );
    // Same id and envelope; a fresh attempt count on the dead-letter stream. Dead
    // lettering ignores the DLQ's maxDepth: refusing would lose the message.
    dlq.add({
      id: record.id,
      envelope: record.envelope,
      enqueuedAt: record.enqueuedAt,
      attempt: 0,
      holder: undefined,
      timer: undefined,
      deadLetterReason: reason,
    });
  }

  schedulePump(stream: MemoryStream): void {
    this.pending.add(stream);
    if (this.immediate) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      const streams = [...this.pending];
      this.pending.clear();
      for (const s of streams) s.pump();
    });
  }

  // Bounded memory: a stream seen once would otherwise keep its (small) object and
  // counters forever, and a client naming ever new streams would grow the engine
  // without bound. An idle stream is forgotten once it has been idle for idleTtlMs, or
  // at once (oldest first) when more than maxIdle streams are idle. Checked whenever a
  // stream turns idle or a new one is created, so no timer is needed: the engine only
  // grows by creating streams. A forgotten stream starts again with zero counters.
  streamMayBeIdle(stream: MemoryStream): void {
    if (this.closed || !stream.idle || this.streams.get(stream.key) !== stream) return;
    this.idle.delete(stream);
    this.idle.set(stream, this.now());
    this.evictIdle();
  }

  private evictIdle(): void {
    if (this.idle.size === 0) return;
    const now = this.now();
    for (const [s, since] of this.idle) {
      if (this.idle.size <= this.maxIdle && now - since < this.idleTtlMs) break;
      this.idle.delete(s);
      if (!s.idle || this.streams.get(s.key) !== s) continue;
      this.streams.delete(s.key);
      this.pending.delete(s);
      this.counters.streamsEvicted++;
    }
  }

  /** A stream in use again is no longer idle. */
  private touch(s: MemoryStream): MemoryStream {
    if (this.idle.size > 0) this.idle.delete(s);
    return s;
  }

  private cancelPending(): void {
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    this.pending.clear();
  }

  private stream(tenant: string, name: string): MemoryStream {
    const k = key(tenant, name);
    const s = this.streams.get(k);
    if (s !== undefined) return this.touch(s);
    this.evictIdle();
    const created = new MemoryStream(tenant, name, k, this);
    this.streams.set(k, created);
    return created;
  }

  private assertOpen(): void {
    if (this.closed) throw new GatewayError('DRAINING', 'the streams engine is closed');
  }
}

function key(tenant: string, stream: string): string {
  return `${tenant}\u0000${stream}`;
}
