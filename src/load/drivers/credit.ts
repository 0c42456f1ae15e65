// CreditWindow: how a subscriber grants credit. It keeps the credit it has granted and
// not yet seen used ("outstanding"); when a delivery brings outstanding down to
// `refillAt`, it tops the window back up to `window` in one grant. window=1,
// refillAt=0 is strict one-at-a-time flow; a large window with refillAt=window/2 is
// the usual batching policy.

export interface CreditPolicy {
  /** Credit outstanding after a refill. @default 10 */
  window: number;
  /** Refill when outstanding credit falls to this. @default floor(window / 2) */
  refillAt?: number;
}

export class CreditWindow {
  readonly window: number;
  readonly refillAt: number;
  private outstandingCredit = 0;
  private granted = 0;

  constructor(policy: Partial<CreditPolicy> = {}) {
    this.window = Math.max(1, Math.floor(policy.window ?? 10));
    this.refillAt = Math.min(this.window - 1, Math.max(0, Math.floor(policy.refillAt ?? this.window / 2)));
  }

  /** Credit to grant when the subscription starts. */
  initial(): number {
    return this.topUp();
  }

  /** A delivery used one credit; returns the credit to grant now (0 = none). */
  onDelivery(): number {
    if (this.outstandingCredit > 0) this.outstandingCredit--;
    return this.outstandingCredit <= this.refillAt ? this.topUp() : 0;
  }

  get outstanding(): number {
    return this.outstandingCredit;
  }

  get totalGranted(): number {
    return this.granted;
  }

  private topUp(): number {
    const n = this.window - this.outstandingCredit;
    this.outstandingCredit += n;
    this.granted += n;
    return n;
  }
}
