// The sweeper: housekeeping of the streams this instance has subscribers on, once per
// interval (and at once for one stream when it is first subscribed or a nack delay ends).
// One script per stream (scripts.ts, SWEEP) moves due nack-delayed messages back to the
// stream, reclaims deliveries left unsettled past ackTimeoutMs + a grace (their gateway
// died, or lost its connection before it could return them) and returns them like ack
// timeouts, forgets idle consumer names, and reports the stream's depth.
import type { Logger } from 'pino';
import type { StreamPolicy } from '../../config/resolved.js';
import type { LocalStream, RedisEngineCounters } from './local-stream.js';
import type { StreamScripts } from './scripts.js';

/** The XAUTOCLAIM consumer name; reclaimed entries are returned at once, so it never holds any. */
const RECLAIMER = 'conduit-reclaimer';
/** Delayed messages moved and deliveries reclaimed per stream per sweep. */
const SWEEP_BATCH = 100;

export interface SweeperHost {
  readonly logger: Logger;
  readonly counters: RedisEngineCounters;
  /** True once delivery stopped for good. */
  stopped(): boolean;
  /** The command connection is up. */
  connected(): boolean;
  streams(): Iterable<LocalStream>;
  policy(tenant: string, stream: string): StreamPolicy;
  /** Create a stream's group (after it failed). */
  prepare(stream: LocalStream): void;
}

export interface SweeperOptions {
  intervalMs: number;
  reclaimGraceMs: number;
  consumerIdleMs: number;
}

export class StreamSweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    private readonly scripts: StreamScripts,
    private readonly host: SweeperHost,
    private readonly o: SweeperOptions,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sweepAll(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async sweepAll(): Promise<void> {
    if (this.sweeping || this.host.stopped() || !this.host.connected()) return;
    this.sweeping = true;
    try {
      await Promise.all(
        [...this.host.streams()].map((s) => {
          if (s.prepared) return this.sweepOne(s);
          this.host.prepare(s);
          return undefined;
        }),
      );
    } finally {
      this.sweeping = false;
    }
  }

  async sweepOne(s: LocalStream): Promise<void> {
    if (this.host.stopped()) return;
    const { ackTimeoutMs } = this.host.policy(s.tenant, s.name);
    const { logger, counters } = this.host;
    try {
      const r = await this.scripts.sweep(s.keys, {
        reclaimer: RECLAIMER,
        minIdleMs: ackTimeoutMs + this.o.reclaimGraceMs,
        maxAttempts: s.maxAttempts(),
        batch: SWEEP_BATCH,
        consumerIdleMs: this.o.consumerIdleMs,
        cursor: s.reclaimCursor,
      });
      s.lastDepth = r.depth;
      s.reclaimCursor = r.cursor;
      if (r.reclaimed > 0) {
        counters.reclaimed += r.reclaimed;
        logger.warn(
          { tenant: s.tenant, stream: s.name, reclaimed: r.reclaimed },
          'reclaimed deliveries unsettled past their ack timeout (a lost gateway instance or connection)',
        );
      }
      for (const id of r.deadLettered) {
        counters.deadLettered++;
        logger.warn(
          { tenant: s.tenant, stream: s.name, id, reason: 'timeout', dlq: s.dlqName },
          'message dead-lettered',
        );
      }
    } catch (err) {
      logger.warn({ err, tenant: s.tenant, stream: s.name }, 'redis sweep failed');
    }
  }
}
