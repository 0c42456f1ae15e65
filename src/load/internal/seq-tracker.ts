// The delivery ledger's path for messages stamped with this ledger's sequence numbers.
// What every message needs for the whole run is three sets of integers — confirmed
// (the enqueue answered with an id), delivered (at least once) and acked (by our
// subscriber at least once) — kept as RangeSets, so they cost one interval per gap: a
// clean run is a handful of intervals, whatever its length. Per-message state exists
// only while it matters:
//   - recent: the attempts seen of a message, until `retainMs` after its last delivery
//     (the window in which the protocol may still redeliver it: ack timeout, nack delay);
//   - waiting: the id of a confirmed message not delivered yet (for the lost-ids
//     sample), until `retainMs` after the enqueue answer; then at most `sampleSize` of
//     those ids are kept, the rest is only a gap in `delivered`.
import { addAttempt, repeatKind } from './attempts.js';
import type { Attempts } from './attempts.js';
import { RangeSet } from './range-set.js';
import { TimeQueue } from './time-queue.js';

interface Recent extends Attempts {
  lastAt: number;
  /** Re-created after it had been forgotten: earlier attempts unknown; acked before then. */
  settledLongAgo?: boolean;
}

export class SeqTracker {
  readonly confirmed = new RangeSet();
  readonly delivered = new RangeSet();
  readonly acked = new RangeSet();
  /** |confirmed ∩ delivered| */
  confirmedDelivered = 0;
  private readonly recent = new Map<number, Recent>();
  private readonly recentQueue = new TimeQueue<number>();
  private readonly waiting = new Map<number, string>();
  private readonly waitingQueue = new TimeQueue<number>();
  private readonly stale = new Map<number, string>();

  constructor(private readonly sampleSize: number) {}

  enqueued(seq: number, id: string, now: number): void {
    if (!this.confirmed.add(seq)) return;
    if (this.delivered.has(seq)) {
      this.confirmedDelivered++;
      return;
    }
    this.waiting.set(seq, id);
    this.waitingQueue.push(seq, now);
  }

  /** Returns the kind, and whether this delivery settled an outstanding message. */
  deliver(
    seq: number,
    attempt: number,
    acked: boolean,
    now: number,
  ): { kind: 'first' | 'redelivery' | 'unexpected' | 'duplicate'; settled: boolean } {
    let entry = this.recent.get(seq);
    let kind: 'first' | 'redelivery' | 'unexpected' | 'duplicate';
    let settled = false;
    if (entry) {
      kind = entry.settledLongAgo ? 'duplicate' : repeatKind(entry, attempt);
    } else if (this.delivered.add(seq)) {
      // The first delivery of this message.
      entry = { bits: 0, lastAt: now };
      const confirmed = this.confirmed.has(seq);
      if (confirmed) {
        this.confirmedDelivered++;
        this.waiting.delete(seq);
        this.stale.delete(seq);
        settled = true;
      }
      kind = attempt > 1 ? 'redelivery' : confirmed ? 'first' : 'unexpected';
    } else {
      // Delivered before, forgotten since (its last delivery is more than retainMs ago).
      // A first attempt again is a duplicate as ever; so is any delivery of a message we
      // acked back then (an acked message must not come back); a higher attempt of one we
      // never acked is taken for a late redelivery.
      const settledLongAgo = this.acked.has(seq);
      entry = { bits: 0, lastAt: now, ...(settledLongAgo ? { settledLongAgo } : {}) };
      kind = attempt <= 1 || settledLongAgo ? 'duplicate' : 'redelivery';
    }
    addAttempt(entry, attempt);
    entry.lastAt = now;
    this.recent.set(seq, entry);
    this.recentQueue.push(seq, now);
    if (acked) this.acked.add(seq);
    return { kind, settled };
  }

  expire(cutoff: number): void {
    this.recentQueue.drain(cutoff, (seq, at) => {
      const e = this.recent.get(seq);
      if (e && e.lastAt <= at) this.recent.delete(seq);
    });
    this.waitingQueue.drain(cutoff, (seq) => {
      const id = this.waiting.get(seq);
      if (id === undefined) return; // delivered meanwhile
      this.waiting.delete(seq);
      if (this.stale.size < this.sampleSize) this.stale.set(seq, id);
    });
  }

  get outstanding(): number {
    return this.confirmed.size - this.confirmedDelivered;
  }

  /** Delivered stamped messages whose enqueue was never confirmed. */
  get unexpected(): number {
    return this.delivered.size - this.confirmedDelivered;
  }

  /** Up to `max` ids of confirmed messages not delivered: the longest waiting first. */
  outstandingIds(max: number): string[] {
    const out: string[] = [];
    for (const ids of [this.stale.values(), this.waiting.values()]) {
      for (const id of ids) {
        if (out.length >= max) return out;
        out.push(id);
      }
    }
    return out;
  }

  get messages(): number {
    return this.recent.size + this.waiting.size + this.stale.size;
  }

  get intervals(): number {
    return this.confirmed.intervals + this.delivered.intervals + this.acked.intervals;
  }

  get queued(): number {
    return this.recentQueue.length + this.waitingQueue.length;
  }
}
