// The delivery ledger's path for messages it knows only by id: deliveries without this
// ledger's stamp (other producers, other machines) and producers that report
// `enqueued(id)` without a sequence number. Per-id state lives while the message is
// outstanding (enqueued, not yet delivered) and for `retainMs` after its last delivery;
// then the id is forgotten. Lost counts are exact; duplicates are seen when they arrive
// within the window; a foreign id delivered again after it is counted as unexpected again.
import { addAttempt, repeatKind } from './attempts.js';
import type { Attempts } from './attempts.js';
import { TimeQueue } from './time-queue.js';

interface IdEntry extends Attempts {
  confirmed: boolean;
  delivered: boolean;
  lastAt: number;
}

export type FirstKind = 'first' | 'redelivery' | 'unexpected';

export class IdTracker {
  private readonly entries = new Map<string, IdEntry>();
  private readonly queue = new TimeQueue<string>();
  confirmedCount = 0;
  confirmedDelivered = 0;
  outstanding = 0;
  private unexpectedForgotten = 0;

  enqueued(id: string, now: number): void {
    const e = this.entries.get(id);
    if (e?.confirmed) return;
    this.confirmedCount++;
    if (!e) {
      this.entries.set(id, { bits: 0, confirmed: true, delivered: false, lastAt: now });
      this.outstanding++;
      return;
    }
    e.confirmed = true; // an entry that is not confirmed was created by a delivery
    this.confirmedDelivered++;
  }

  /** Returns the kind, and whether this delivery settled an outstanding message. */
  delivered(id: string, attempt: number, now: number): { kind: FirstKind | 'duplicate'; settled: boolean } {
    let e = this.entries.get(id);
    let kind: FirstKind | 'duplicate';
    let settled = false;
    if (e?.delivered) {
      kind = repeatKind(e, attempt);
    } else {
      if (!e) {
        e = { bits: 0, confirmed: false, delivered: true, lastAt: now };
        this.entries.set(id, e);
      } else {
        e.delivered = true;
        this.confirmedDelivered++;
        this.outstanding--;
        settled = true;
      }
      kind = attempt > 1 ? 'redelivery' : e.confirmed ? 'first' : 'unexpected';
    }
    addAttempt(e, attempt);
    e.lastAt = now;
    this.queue.push(id, now);
    return { kind, settled };
  }

  /** Forget delivered ids whose last delivery is at or before `cutoff`. */
  expire(cutoff: number): void {
    this.queue.drain(cutoff, (id, at) => {
      const e = this.entries.get(id);
      if (!e || e.lastAt > at) return; // gone, or delivered again since
      this.entries.delete(id);
      if (!e.confirmed) this.unexpectedForgotten++;
    });
  }

  /** Delivered ids never confirmed as enqueued (forgotten ones included). */
  unexpected(): number {
    let n = this.unexpectedForgotten;
    for (const e of this.entries.values()) if (e.delivered && !e.confirmed) n++;
    return n;
  }

  /** Up to `max` ids enqueued and not delivered, in enqueue order. */
  outstandingIds(max: number): string[] {
    const out: string[] = [];
    if (max <= 0) return out;
    for (const [id, e] of this.entries) {
      if (e.confirmed && !e.delivered) {
        out.push(id);
        if (out.length >= max) break;
      }
    }
    return out;
  }

  get size(): number {
    return this.entries.size;
  }

  get queued(): number {
    return this.queue.length;
  }
}
