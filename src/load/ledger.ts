// The delivery ledger: which enqueued ids were delivered, which twice, which never.
// A redelivery (attempt > 1, after a nack, disconnect or ack timeout) is the protocol
// working, not a duplicate; a second first-attempt delivery, or the same attempt of the
// same id twice, is a duplicate. Deliveries may arrive before the enqueue response, so
// the two sides are matched whenever both are known.
import { EventEmitter } from 'node:events';
import type { DeliveryLedgerSummary } from './result.js';

export type DeliveryKind = 'first' | 'redelivery' | 'duplicate' | 'unexpected';

export interface LedgerSummary extends DeliveryLedgerSummary {
  /** Redeliveries with attempt > 1 (not duplicates). */
  redeliveries: number;
  /** Deliveries of ids this ledger never saw enqueued (by the end). */
  unexpected: number;
}

export class DeliveryLedger {
  private readonly enqueuedIds = new Set<string>();
  /** id → highest attempt seen; plus the set of (id, attempt) pairs to spot exact repeats. */
  private readonly deliveries = new Map<string, Set<number>>();
  private duplicates = 0;
  private redeliveries = 0;
  private outstanding = 0;
  private readonly events = new EventEmitter();

  /** The producer got an id back for an enqueue. */
  enqueued(id: string): void {
    if (this.enqueuedIds.has(id)) return;
    this.enqueuedIds.add(id);
    if (!this.deliveries.has(id)) this.outstanding++;
  }

  /** A subscriber received a delivery. */
  delivered(id: string, attempt: number): DeliveryKind {
    let attempts = this.deliveries.get(id);
    const firstEver = !attempts;
    if (!attempts) {
      attempts = new Set();
      this.deliveries.set(id, attempts);
      if (this.enqueuedIds.has(id)) {
        this.outstanding--;
        if (this.outstanding === 0) this.events.emit('settled');
      }
    }
    if (attempts.has(attempt) || (!firstEver && attempt <= 1)) {
      this.duplicates++;
      attempts.add(attempt);
      return 'duplicate';
    }
    attempts.add(attempt);
    if (attempt > 1) {
      this.redeliveries++;
      return 'redelivery';
    }
    return this.enqueuedIds.has(id) ? 'first' : 'unexpected';
  }

  /** Enqueued ids not delivered yet. */
  get outstandingCount(): number {
    return this.outstanding;
  }

  /**
   * Wait until every enqueued id has been delivered, or `timeoutMs` passes
   * (the settle period at the end of a run), or `signal` aborts. Resolves true when nothing is outstanding.
   */
  settle(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.outstanding === 0) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.events.off('settled', onSettled);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const timer = setTimeout(() => done(this.outstanding === 0), timeoutMs);
      const onSettled = () => done(true);
      // An interrupted run does not wait for stragglers.
      const onAbort = () => done(this.outstanding === 0);
      this.events.once('settled', onSettled);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  summary(): LedgerSummary {
    const lost: string[] = [];
    let lostCount = 0;
    for (const id of this.enqueuedIds) {
      if (!this.deliveries.has(id)) {
        lostCount++;
        if (lost.length < 20) lost.push(id);
      }
    }
    let unexpected = 0;
    for (const id of this.deliveries.keys()) if (!this.enqueuedIds.has(id)) unexpected++;
    return {
      enqueued: this.enqueuedIds.size,
      deliveredUnique: this.deliveries.size - unexpected,
      duplicates: this.duplicates,
      lost: lostCount,
      lostSample: lost,
      redeliveries: this.redeliveries,
      unexpected,
    };
  }
}
