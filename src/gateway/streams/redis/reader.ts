// The reader: one loop per gateway instance that reads messages from Redis for every
// stream with local subscribers, on its own connection (blocking reads would hold up
// every other command on a shared one).
//
// It never reads more than the local consumers can take: each XREADGROUP names
// COUNT = the stream's capacity (sum over its local consumers of min(credit, in-flight
// room)), so a message is never read by an instance that cannot deliver it at once —
// it stays in Redis for any other instance with credit. One round:
//
//  1. Streams marked dirty (credit granted, a delivery settled, more may be waiting)
//     are read without blocking, COUNT = capacity, in one pipeline. A stream that
//     returns fewer entries than asked is clean: nothing more is waiting for us. The
//     same pipeline carries one non-blocking XREADGROUP COUNT 1 over the clean streams
//     with capacity, so a busy stream that stays dirty cannot starve the others.
//  2. With nothing dirty, one blocking XREADGROUP over every stream with capacity,
//     COUNT 1 each (within every capacity), wakes on the first new message.
//  3. With no capacity anywhere, it waits for a local event.
// A stream that returned an entry to a COUNT 1 read is dirty (more may be waiting).
// Entries that a stream's consumers could no longer take when the read returned are
// parked on the stream (LocalStream.flush) and go out before it is read again.
//
// A read that fails (its connection dropped) may have run in Redis all the same: its
// entries are pending for this instance and nobody has them. Before reading on, the
// streams it may have read are read again from their history after the last entry a
// read returned (XREADGROUP ... STREAMS key lastReadId), and what comes back is
// delivered as read (LocalStream.recoverEntries).
//
// A blocking read cannot be cancelled from its own connection, so when a stream that
// is not in the current blocking read gains capacity (or one in it loses all of it),
// the engine's command connection sends CLIENT UNBLOCK for the reader's client id.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { decodeEntry, GROUP } from './keys.js';
import type { LocalStream } from './local-stream.js';

/** Longest blocking read; a timeout just starts the next round. */
const BLOCK_MS = 5000;
/** Streams read in one pipeline round. */
const STREAMS_PER_ROUND = 256;
/**
 * Most entries read from one stream in one round, whatever the credit: bounds the
 * memory of one reply (envelopes may be MiBs) and gives socket backpressure a chance to
 * pause a consumer between rounds. A full read leaves the stream dirty: the next round
 * reads on.
 */
const MAX_READ_COUNT = 100;
/** Most entries looked for per stream after a failed read (one read returns at most MAX_READ_COUNT). */
const RECOVER_COUNT = 1000;
/** Bounded retries of CLIENT UNBLOCK racing the start of a blocking read. */
const UNBLOCK_TRIES = 50;
const UNBLOCK_RETRY_MS = 5;

export interface ReaderHost {
  readonly logger: Logger;
  /** Streams with local consumers. */
  streams(): Iterable<LocalStream>;
  /** Make sure the stream's consumer group exists (after a NOGROUP error). */
  reprepare(stream: LocalStream): void;
}

type RawEntry = [string, string[]];
type RawReply = Array<[string, RawEntry[]]> | null;

export class StreamReader {
  private running: Promise<void> | undefined;
  private stopping = false;
  private clientId: number | undefined;
  private blockSet: Set<LocalStream> | undefined;
  private wakeUp: (() => void) | undefined;
  private unblocking = false;
  private failing = false;
  /** Rotates which dirty streams a round reads when there are more than STREAMS_PER_ROUND. */
  private rotation = 0;

  constructor(
    private readonly conn: Redis,
    private readonly command: Redis,
    private readonly consumerName: string,
    private readonly host: ReaderHost,
  ) {
    // A new connection has a new client id.
    conn.on('ready', () => (this.clientId = undefined));
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Stop after the current round; entries it read are delivered or requeued before this resolves. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    if (this.blockSet) void this.unblock();
    await this.running;
  }

  /** A stream's capacity changed. */
  wake(stream: LocalStream): void {
    if (this.wakeUp) {
      this.wakeUp();
      return;
    }
    const set = this.blockSet;
    if (!set) return; // a non-blocking round is running; the next round sees the change
    const capacity = stream.capacity;
    if ((!set.has(stream) && capacity > 0) || (set.has(stream) && capacity === 0)) void this.unblock();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        if (this.conn.status !== 'ready') {
          await this.idle(100);
          continue;
        }
        this.clientId ??= Number(await this.conn.call('CLIENT', 'ID'));
        const recovering = [...this.host.streams()].filter((s) => s.prepared && s.recoverReads);
        if (recovering.length > 0) await this.recover(recovering);
        const dirty: Array<[LocalStream, number]> = [];
        const open: Array<[LocalStream, number]> = [];
        for (const s of this.host.streams()) {
          if (!s.prepared) continue;
          // Entries read earlier and parked (their consumers paused) go out first.
          if (s.parkedCount > 0 && s.capacity > 0) s.flush();
          if (s.parkedCount > 0) continue;
          const capacity = s.capacity;
          if (capacity <= 0) continue;
          (s.dirty ? dirty : open).push([s, Math.min(capacity, MAX_READ_COUNT)]);
        }
        if (dirty.length > 0)
          await this.readNow(
            this.rotate(dirty),
            open.map(([s]) => s),
          );
        else if (open.length > 0) await this.readBlocking(open.map(([s]) => s));
        else await this.idle(BLOCK_MS);
        if (this.failing) {
          this.failing = false;
          this.host.logger.info('redis reader recovered');
        }
      } catch (err) {
        if (!this.failing && !this.stopping) this.host.logger.error({ err }, 'redis reader failed; retrying');
        this.failing = true;
        for (const s of this.host.streams()) s.recoverReads = true;
        await this.idle(200);
      }
    }
  }

  private rotate(dirty: Array<[LocalStream, number]>): Array<[LocalStream, number]> {
    if (dirty.length <= STREAMS_PER_ROUND) return dirty;
    const start = this.rotation % dirty.length;
    this.rotation = start + STREAMS_PER_ROUND;
    return [...dirty.slice(start), ...dirty.slice(0, start)].slice(0, STREAMS_PER_ROUND);
  }

  /** XREADGROUP COUNT 1 over several streams (each has capacity ≥ 1). */
  private peekCommand(streams: LocalStream[], blockMs?: number): Array<string | number> {
    const keys = streams.map((s) => s.keys.stream);
    const block = blockMs === undefined ? [] : ['BLOCK', blockMs];
    return ['GROUP', GROUP, this.consumerName, 'COUNT', 1, ...block, 'STREAMS', ...keys, ...keys.map(() => '>')];
  }

  private deliverPeeked(streams: LocalStream[], reply: RawReply): void {
    const byKey = new Map(streams.map((s) => [s.keys.stream, s] as const));
    for (const [key, entries] of reply ?? []) {
      const s = byKey.get(key);
      if (!s || entries.length === 0) continue;
      s.dirty = true; // more may be waiting
      s.deliverEntries(entries.map(decodeEntry), false); // COUNT 1: whether more wait is unknown
    }
  }

  private async readNow(batch: Array<[LocalStream, number]>, clean: LocalStream[]): Promise<void> {
    const pipeline = this.conn.pipeline();
    for (const [s, count] of batch) {
      pipeline.call('XREADGROUP', 'GROUP', GROUP, this.consumerName, 'COUNT', count, 'STREAMS', s.keys.stream, '>');
    }
    if (clean.length > 0) pipeline.call('XREADGROUP', ...this.peekCommand(clean));
    const results = (await pipeline.exec()) ?? [];
    let failed: unknown;
    if (clean.length > 0) {
      const [err, reply] = results[batch.length] ?? [new Error('no reply'), null];
      if (!err) this.deliverPeeked(clean, reply as RawReply);
      else {
        try {
          for (const s of clean) this.readError(s, err);
        } catch (e) {
          failed = e;
        }
      }
    }
    batch.forEach(([s, count], i) => {
      const [err, reply] = results[i] ?? [new Error('no reply'), null];
      if (err) {
        // Deliver what the other streams returned before reporting this one.
        try {
          this.readError(s, err);
        } catch (e) {
          failed ??= e;
        }
        return;
      }
      const entries = (reply as RawReply)?.[0]?.[1] ?? [];
      const full = entries.length >= count;
      if (!full) s.dirty = false;
      s.deliverEntries(entries.map(decodeEntry), full);
    });
    if (failed !== undefined) throw failed;
  }

  /** Entries pending here after each stream's lastReadId: reads that ran but whose answer was lost. */
  private async recover(streams: LocalStream[]): Promise<void> {
    const pipeline = this.conn.pipeline();
    for (const s of streams) {
      const args = ['GROUP', GROUP, this.consumerName, 'COUNT', RECOVER_COUNT, 'STREAMS', s.keys.stream, s.lastReadId];
      pipeline.call('XREADGROUP', ...args);
    }
    const results = (await pipeline.exec()) ?? [];
    streams.forEach((s, i) => {
      const [err, reply] = results[i] ?? [new Error('no reply'), null];
      if (err) {
        this.readError(s, err); // NOGROUP: the stream is gone, nothing to recover; else throws (retried)
        s.recoverReads = false;
        return;
      }
      s.recoverReads = false;
      // An entry deleted while pending comes back as [entryId, null]: nothing to deliver.
      const entries = ((reply as RawReply)?.[0]?.[1] ?? []).filter((e) => Array.isArray(e[1]));
      s.recoverEntries(entries.map(decodeEntry));
    });
  }

  private async readBlocking(streams: LocalStream[]): Promise<void> {
    this.blockSet = new Set(streams);
    let reply: RawReply;
    try {
      reply = (await this.conn.call('XREADGROUP', ...this.peekCommand(streams, BLOCK_MS))) as RawReply;
    } catch (err) {
      if (String((err as Error).message).includes('NOGROUP')) {
        for (const s of streams) this.readError(s, err as Error);
        return;
      }
      throw err;
    } finally {
      this.blockSet = undefined;
    }
    this.deliverPeeked(streams, reply);
  }

  private readError(s: LocalStream, err: Error): void {
    if (String(err.message).includes('NOGROUP')) {
      // The stream or its group vanished (deleted by hand, FLUSHALL): create it again.
      s.prepared = false;
      this.host.reprepare(s);
      return;
    }
    throw err;
  }

  private async unblock(): Promise<void> {
    if (this.unblocking) return;
    this.unblocking = true;
    try {
      for (let i = 0; i < UNBLOCK_TRIES && this.blockSet && this.clientId !== undefined; i++) {
        if (this.command.status !== 'ready') return;
        const r = Number(await this.command.call('CLIENT', 'UNBLOCK', this.clientId));
        if (r === 1) return;
        // The read was sent but Redis has not started blocking it yet: try again shortly.
        await new Promise((resolve) => setTimeout(resolve, UNBLOCK_RETRY_MS));
      }
    } catch (err) {
      this.host.logger.warn({ err }, 'redis CLIENT UNBLOCK failed');
    } finally {
      this.unblocking = false;
    }
  }

  /** Wait for a local event (wake) or `ms`. */
  private idle(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    }).finally(() => {
      this.wakeUp = undefined;
    });
  }
}
