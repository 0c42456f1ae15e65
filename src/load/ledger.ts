// The delivery ledger: which enqueued messages were delivered, which twice, which never —
// in memory that does not grow with the length of the run.
//
// A redelivery (attempt > 1, after a nack, disconnect or ack timeout) is the protocol
// working, not a duplicate; a second first-attempt delivery, or the same attempt of the
// same message twice, is a duplicate. Deliveries may arrive before the enqueue answer,
// so the two sides are matched whenever both are known.
//
// Bounded state: the producer stamps each envelope with this ledger's sequence number
// (`stamp`), so a message is an integer. Which integers were confirmed, delivered and
// acked are run-length sets (one interval per gap: a clean hour is a few intervals);
// per-message state lives only while the message is outstanding or may still be
// redelivered (`retainMs` after its last delivery). Deliveries without our stamp
// (other producers) and `enqueued(id)` without a sequence number are tracked by id,
// with the same window. docs/load-testing.md says what is exact and what bounded.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { IdTracker } from './internal/id-tracker.js';
import { SeqTracker } from './internal/seq-tracker.js';
import type { DeliveryLedgerSummary } from './result.js';

export type DeliveryKind = 'first' | 'redelivery' | 'duplicate' | 'unexpected';

export interface LedgerSummary extends DeliveryLedgerSummary {
  /** Redeliveries with attempt > 1 (not duplicates). */
  redeliveries: number;
  /** Deliveries of messages this ledger never saw enqueued (by the end). */
  unexpected: number;
}

/** The envelope field a stamped message carries: `{ p: producer, s: sequence number }`. */
export const LEDGER_STAMP_KEY = 'conduitLedger';

export interface LedgerStamp {
  /** The producer (one DeliveryLedger). */
  p: string;
  /** Its sequence number, from 0. */
  s: number;
}

export interface DeliveryLedgerOptions {
  /** This producer's name in stamps; deliveries stamped by another are foreign. @default 8 random hex digits */
  producer?: string;
  /**
   * How long a message's per-message state outlives its last delivery: the window in
   * which a redelivery or duplicate is told apart exactly. Longer than the target's ack
   * timeout and nack delay (Conduit: 30 s and at most 60 s). @default 120000
   */
  retainMs?: number;
  /** Monotonic clock in ms. @default performance.now */
  now?: () => number;
}

export interface DeliveryInfo {
  /** The delivery's envelope: this ledger's stamp in it identifies the message. */
  envelope?: unknown;
  /** The subscriber acks this delivery (false: nacked or left unanswered). @default false */
  acked?: boolean;
}

/** What the ledger holds right now (for tests and the docs' memory figures). */
export interface LedgerFootprint {
  /** Messages with per-message state. */
  messages: number;
  /** Intervals of the run-length sets. */
  intervals: number;
  /** Entries of the expiry queues. */
  queued: number;
}

const SAMPLE = 20;

export class DeliveryLedger {
  readonly producer: string;
  private readonly retainMs: number;
  private readonly now: () => number;
  private nextSeq = 0;
  private readonly seqs = new SeqTracker(SAMPLE);
  private readonly ids = new IdTracker();
  private duplicates = 0;
  private redeliveries = 0;
  private readonly events = new EventEmitter();

  constructor(options: DeliveryLedgerOptions = {}) {
    this.producer = options.producer ?? randomBytes(4).toString('hex');
    this.retainMs = options.retainMs ?? 120_000;
    if (!(this.retainMs > 0)) throw new RangeError('retainMs must be > 0');
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * The next sequence number and `body` with it stamped in (a new object). Enqueue that
   * envelope, then report `enqueued(id, seq)` when the answer brings the id.
   */
  stamp<T extends object>(body: T): { seq: number; envelope: T & { [LEDGER_STAMP_KEY]: LedgerStamp } } {
    const seq = this.nextSeq++;
    return { seq, envelope: { ...body, [LEDGER_STAMP_KEY]: { p: this.producer, s: seq } } };
  }

  /** This ledger's sequence number in `envelope`, or undefined (not stamped, or by another producer). */
  seqOf(envelope: unknown): number | undefined {
    if (typeof envelope !== 'object' || envelope === null) return undefined;
    const stamp = (envelope as Record<string, unknown>)[LEDGER_STAMP_KEY] as Partial<LedgerStamp> | undefined;
    if (!stamp || stamp.p !== this.producer) return undefined;
    const s = stamp.s;
    return typeof s === 'number' && Number.isSafeInteger(s) && s >= 0 ? s : undefined;
  }

  /** The producer got `id` back for an enqueue; `seq` from `stamp()` when the envelope was stamped. */
  enqueued(id: string, seq?: number): void {
    const now = this.now();
    this.expire(now);
    if (seq === undefined) this.ids.enqueued(id, now);
    else {
      if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`enqueued: bad sequence number ${seq}`);
      this.seqs.enqueued(seq, id, now);
    }
  }

  /** A subscriber received a delivery (pass its envelope, and whether it is acked). */
  delivered(id: string, attempt: number, info: DeliveryInfo = {}): DeliveryKind {
    const now = this.now();
    this.expire(now);
    const seq = this.seqOf(info.envelope);
    const { kind, settled } =
      seq === undefined
        ? this.ids.delivered(id, attempt, now)
        : this.seqs.deliver(seq, attempt, info.acked === true, now);
    if (kind === 'duplicate') this.duplicates++;
    else if (kind === 'redelivery') this.redeliveries++;
    if (settled && this.outstandingCount === 0) this.events.emit('settled');
    return kind;
  }

  /** Enqueued messages not delivered yet. */
  get outstandingCount(): number {
    return this.seqs.outstanding + this.ids.outstanding;
  }

  get footprint(): LedgerFootprint {
    return {
      messages: this.seqs.messages + this.ids.size,
      intervals: this.seqs.intervals,
      queued: this.seqs.queued + this.ids.queued,
    };
  }

  /**
   * Wait until every enqueued message has been delivered, or `timeoutMs` passes
   * (the settle period at the end of a run), or `signal` aborts. Resolves true when nothing is outstanding.
   */
  settle(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.outstandingCount === 0) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.events.off('settled', onSettled);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const timer = setTimeout(() => done(this.outstandingCount === 0), timeoutMs);
      const onSettled = () => done(true);
      // An interrupted run does not wait for stragglers.
      const onAbort = () => done(this.outstandingCount === 0);
      this.events.once('settled', onSettled);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  summary(): LedgerSummary {
    this.expire(this.now());
    const stampedIds = this.seqs.outstandingIds(SAMPLE);
    return {
      enqueued: this.seqs.confirmed.size + this.ids.confirmedCount,
      deliveredUnique: this.seqs.confirmedDelivered + this.ids.confirmedDelivered,
      duplicates: this.duplicates,
      lost: this.outstandingCount,
      lostSample: [...stampedIds, ...this.ids.outstandingIds(SAMPLE - stampedIds.length)],
      redeliveries: this.redeliveries,
      unexpected: this.seqs.unexpected + this.ids.unexpected(),
    };
  }

  private expire(now: number): void {
    const cutoff = now - this.retainMs;
    this.seqs.expire(cutoff);
    this.ids.expire(cutoff);
  }
}
