// The Redis Streams engine (CONDUIT_STREAMS_BACKEND=redis): durable, shared by every
// gateway instance pointed at the same Redis. Messages live in Redis (keys.ts); this
// object holds only what is local to this instance — its subscribers, their credit and
// unsettled deliveries, timers — and the counters of what happened here.
//
//  - enqueue: one script checks maxDepth and XADDs (exact, atomic).
//  - delivery: the reader (reader.ts) XREADGROUPs at most the local consumers' usable
//    credit, so what one instance cannot deliver stays available to the others.
//  - ack: XACK + XDEL. nack / ack timeout / disconnect / drain: the delivered entry is
//    acked and deleted and the message is added again (tail, or the delayed set, or
//    NAME.dlq after its last attempt) with its delivery count in the entry.
//  - a dead instance's deliveries stay pending in the group; every instance's sweeper (sweeper.ts)
//    reclaims (XAUTOCLAIM) those unsettled for ackTimeoutMs + a grace, and returns
//    them like ack timeouts. The sweeper also moves due nack-delayed messages back.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { newCounters } from '../counters.js';
import type { StreamPolicy } from '../../config/resolved.js';
import { GatewayError } from '../../errors.js';
import { DEFAULT_RETRY_AFTER_S, streamFullError } from '../rules.js';
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
import { openRedis, type RedisConnections } from './connection.js';
import { RedisConsumer, type HeldDelivery } from './consumer.js';
import { GROUP, streamKeys } from './keys.js';
import { LocalStream, type RedisEngineCounters, type RedisStreamHost } from './local-stream.js';
import { StreamReader } from './reader.js';
import { StreamScripts, type ReleaseMode } from './scripts.js';
import { StreamSweeper } from './sweeper.js';

export interface RedisEngineOptions {
  /** CONDUIT_REDIS_URL: redis://[user:password@]host:port[/db], rediss://..., or a unix socket path. */
  url: string;
  policy: (tenant: string, stream: string) => StreamPolicy;
  logger: Logger;
  /** Upper bound for a nack's delayMs (CONDUIT_NACK_MAX_DELAY_MS). */
  nackMaxDelayMs: number;
  /** ready() rejects when Redis cannot be reached this long. @default 10000 */
  connectTimeoutMs?: number;
  /** Period of the sweeper (due delayed messages, reclaiming lost deliveries). @default 1000 */
  sweepIntervalMs?: number;
  /** A delivery unsettled for ackTimeoutMs + this is reclaimed from whichever instance holds it. @default 1000 */
  reclaimGraceMs?: number;
  /** A consumer name (one per instance start) idle this long with nothing pending is forgotten. @default 3600000 */
  consumerIdleMs?: number;
  /** Client-side timeout of one Redis command. @default 5000 */
  commandTimeoutMs?: number;
  /** Retry-After seconds on STREAM_FULL and BACKEND_UNAVAILABLE. @default 1 */
  retryAfterS?: number;
}

export class RedisStreamsEngine implements StreamsEngine, RedisStreamHost {
  readonly kind = 'redis' as const;
  readonly timers: TimerHeap;
  readonly logger: Logger;
  readonly nackMaxDelayMs: number;
  readonly parkMaxMs: number;
  /** This instance's consumer name in every group. */
  readonly consumerName = `gw-${randomBytes(6).toString('hex')}`;
  readonly counters: RedisEngineCounters = newCounters({ reclaimed: 0 });
  stopped = false;
  private closed = false;
  private readonly redis: RedisConnections;
  private readonly scripts: StreamScripts;
  private readonly reader: StreamReader;
  private readonly local = new Map<string, LocalStream>();
  private readonly ops = new Set<Promise<unknown>>();
  private readonly nextId: IdGenerator = createIdGenerator();
  private consumerSeq = 0;
  private readonly sweeper: StreamSweeper;
  private stopping: Promise<void> | undefined;
  private readonly o: Required<Omit<RedisEngineOptions, 'url' | 'policy' | 'logger' | 'nackMaxDelayMs'>>;

  constructor(private readonly opts: RedisEngineOptions) {
    this.logger = opts.logger;
    this.nackMaxDelayMs = opts.nackMaxDelayMs;
    this.o = {
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      sweepIntervalMs: opts.sweepIntervalMs ?? 1000,
      reclaimGraceMs: opts.reclaimGraceMs ?? 1000,
      consumerIdleMs: opts.consumerIdleMs ?? 3_600_000,
      commandTimeoutMs: opts.commandTimeoutMs ?? 5000,
      retryAfterS: opts.retryAfterS ?? DEFAULT_RETRY_AFTER_S,
    };
    // Half the reclaim grace: a parked entry is delivered (its ack timer starting then)
    // only while a sweeper measuring its idle time from the read could not reclaim it first.
    this.parkMaxMs = Math.floor(this.o.reclaimGraceMs / 2);
    this.timers = new TimerHeap((err) => this.logger.error({ err }, 'streams timer callback failed'));
    this.redis = openRedis(opts.url, this.logger, this.o.commandTimeoutMs);
    this.scripts = new StreamScripts(this.redis.command);
    this.reader = new StreamReader(this.redis.reader, this.redis.command, this.consumerName, {
      logger: this.logger,
      streams: () => this.local.values(),
      reprepare: (s) => this.prepare(s),
    });
    this.reader.start();
    this.sweeper = new StreamSweeper(
      this.scripts,
      {
        logger: this.logger,
        counters: this.counters,
        stopped: () => this.stopped,
        connected: () => this.connected(),
        streams: () => this.local.values(),
        policy: (tenant, stream) => this.opts.policy(tenant, stream),
        prepare: (s) => this.prepare(s),
      },
      {
        intervalMs: this.o.sweepIntervalMs,
        reclaimGraceMs: this.o.reclaimGraceMs,
        consumerIdleMs: this.o.consumerIdleMs,
      },
    );
    this.sweeper.start();
  }

  /** Resolve once Redis is reachable; reject with a clear message after connectTimeoutMs. */
  ready(): Promise<void> {
    return this.redis.waitReady(this.o.connectTimeoutMs);
  }

  policy(tenant: string, stream: string): StreamPolicy {
    return this.opts.policy(tenant, stream);
  }

  async enqueue(tenant: string, stream: string, envelope: Envelope): Promise<EnqueueResult> {
    this.assertOpen();
    this.assertConnected();
    const { maxDepth } = this.opts.policy(tenant, stream);
    const id = this.nextId();
    let depth: number;
    try {
      depth = await this.scripts.enqueue(
        streamKeys(tenant, stream),
        maxDepth,
        id,
        Date.now(),
        JSON.stringify(envelope) ?? 'null',
      );
    } catch (err) {
      throw this.unavailable(err);
    }
    if (depth < 0) {
      throw streamFullError(stream, maxDepth, this.o.retryAfterS);
    }
    this.counters.enqueued++;
    return { id, stream };
  }

  async stats(tenant: string, stream: string): Promise<StreamStats> {
    this.assertConnected();
    let raw;
    try {
      raw = await this.scripts.stats(streamKeys(tenant, stream));
    } catch (err) {
      throw this.unavailable(err);
    }
    const c = raw.counters;
    return {
      stream,
      depth: raw.depth,
      inflight: raw.pending,
      delivered: c.delivered ?? 0,
      acked: c.acked ?? 0,
      nacked: c.nacked ?? 0,
      redelivered: c.redelivered ?? 0,
      deadLettered: c.deadLettered ?? 0,
      subscribers: this.local.get(localKey(tenant, stream))?.consumers.length ?? 0,
    };
  }

  subscribe(tenant: string, stream: string, sink: DeliverySink, options: SubscribeOptions): Consumer {
    this.assertOpen();
    const k = localKey(tenant, stream);
    let s = this.local.get(k);
    if (!s) {
      s = new LocalStream(tenant, stream, this);
      this.local.set(k, s);
      this.prepare(s);
    }
    const consumer = new RedisConsumer(`c${++this.consumerSeq}`, s, sink, Math.max(1, options.maxInflight));
    // After stopDelivery nothing is delivered again: a late subscriber just waits to be closed.
    s.attach(consumer);
    return consumer;
  }

  totals(): StreamTotals {
    const c = this.counters;
    let depth = 0;
    for (const s of this.local.values()) depth += s.lastDepth;
    return {
      enqueued: c.enqueued,
      delivered: c.delivered,
      acked: c.acked,
      nacked: c.nacked,
      redelivered: c.redelivered,
      deadLettered: c.deadLettered,
      depth,
      inflight: c.inflight,
      streams: this.local.size,
      subscribers: c.subscribers,
      timedOut: c.timedOut,
      creditStalls: c.creditStalls,
    };
  }

  stopDelivery(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      this.sweeper.stop();
      await this.reader.stop();
      for (const s of [...this.local.values()]) for (const c of [...s.consumers]) c.withdraw();
      await this.settled();
    })();
    return this.stopping;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.stopDelivery();
    this.closed = true;
    this.timers.clear();
    this.local.clear();
    await this.redis.close();
  }

  // ---- RedisStreamHost: what local streams ask of Redis -------------------------

  ackInRedis(s: LocalStream, held: HeldDelivery): void {
    this.track(
      this.scripts.ack(s.keys, held.entryId).then(
        (acked) => {
          if (!acked) {
            this.logger.warn(
              { tenant: s.tenant, stream: s.name, id: held.message.id },
              'ack came after the delivery was reclaimed; the message will be delivered again',
            );
          }
        },
        (err) =>
          this.logger.warn(
            { err, tenant: s.tenant, stream: s.name, id: held.message.id },
            'ack failed in redis; the message will be delivered again',
          ),
      ),
    );
  }

  dropInRedis(s: LocalStream, entryId: string): void {
    const p = this.redis.command.multi().xack(s.keys.stream, GROUP, entryId).xdel(s.keys.stream, entryId).exec();
    this.track(
      p.catch((err) =>
        this.logger.warn(
          { err, tenant: s.tenant, stream: s.name, entryId },
          'could not drop a duplicate entry in redis; it is reclaimed after its ack timeout',
        ),
      ),
    );
  }

  releaseInRedis(s: LocalStream, held: HeldDelivery, mode: ReleaseMode, delayMs: number): void {
    const { id, attempt } = held.message;
    this.track(
      this.scripts.release(s.keys, held.entryId, mode, s.maxAttempts(), delayMs).then(
        (outcome) => {
          if (outcome === 'dead-lettered') {
            this.counters.deadLettered++;
            this.logger.warn(
              { tenant: s.tenant, stream: s.name, id, attempts: attempt, reason: mode, dlq: s.dlqName },
              'message dead-lettered',
            );
          } else if (outcome === 'delayed' && !this.stopped) {
            // The sweeper would move it back within sweepIntervalMs; a timer is on time.
            this.timers.schedule(delayMs + 2, () => void this.sweeper.sweepOne(s));
          }
        },
        (err) =>
          this.logger.warn(
            { err, tenant: s.tenant, stream: s.name, id, reason: mode },
            'could not return a message to redis; it is reclaimed after its ack timeout',
          ),
      ),
    );
  }

  countInRedis(s: LocalStream, delivered: number, redelivered: number): void {
    const p = this.redis.command.multi().hincrby(s.keys.counters, 'delivered', delivered);
    if (redelivered > 0) p.hincrby(s.keys.counters, 'redelivered', redelivered);
    this.track(
      p
        .exec()
        .catch((err) =>
          this.logger.warn({ err, tenant: s.tenant, stream: s.name }, 'could not count deliveries in redis'),
        ),
    );
  }

  wake(s: LocalStream): void {
    this.reader.wake(s);
  }

  unused(s: LocalStream): void {
    const k = localKey(s.tenant, s.name);
    if (this.local.get(k) === s) this.local.delete(k);
    this.reader.wake(s);
  }

  // ---- internals -------------------------------------------------------------------

  /** Create the stream's group (idempotent), then let the reader read it and sweep it once. */
  private prepare(s: LocalStream): void {
    if (this.closed) return;
    const p = this.redis.command
      .call('XGROUP', 'CREATE', s.keys.stream, GROUP, '0', 'MKSTREAM')
      .catch((err: Error) => {
        if (!String(err.message).includes('BUSYGROUP')) throw err;
      })
      .then(
        () => {
          s.prepared = true;
          s.changed();
          void this.sweeper.sweepOne(s);
        },
        (err) =>
          this.logger.warn({ err, tenant: s.tenant, stream: s.name }, 'could not prepare stream in redis; retrying'),
      );
    this.track(p);
  }

  private track(p: Promise<unknown>): void {
    this.ops.add(p);
    const done = () => void this.ops.delete(p);
    p.then(done, done);
  }

  /** Wait for every Redis operation started so far (and those they start), bounded by the command timeout. */
  private async settled(): Promise<void> {
    for (let round = 0; round < 10 && this.ops.size > 0; round++) await Promise.allSettled([...this.ops]);
  }

  private assertOpen(): void {
    if (this.closed) throw new GatewayError('DRAINING', 'the streams engine is closed');
  }

  /** The command connection to Redis is up (false during an outage). */
  connected(): boolean {
    return this.redis.command.status === 'ready';
  }

  private assertConnected(): void {
    if (!this.connected()) {
      throw new GatewayError('BACKEND_UNAVAILABLE', 'The streams backend (Redis) is unreachable; retry later', {
        retryAfterS: this.o.retryAfterS,
      });
    }
  }

  private unavailable(err: unknown): GatewayError {
    if (err instanceof GatewayError) return err;
    this.logger.warn({ err }, 'redis command failed');
    return new GatewayError('BACKEND_UNAVAILABLE', 'The streams backend (Redis) did not answer; retry later', {
      retryAfterS: this.o.retryAfterS,
      cause: err,
    });
  }
}

function localKey(tenant: string, stream: string): string {
  return `${tenant}\u0000${stream}`;
}
