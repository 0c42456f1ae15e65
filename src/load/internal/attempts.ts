// The delivery attempts seen of one message, as a bit set: attempts 1–31 are bits of one
// number (the first attempt and anything below it share bit 0, as a second "first"
// delivery is a duplicate either way); higher attempts (maxAttempts can be configured up
// to 1000) go to a Set created only when one shows up.

export interface Attempts {
  bits: number;
  high?: Set<number>;
}

function normalise(attempt: number): number {
  return attempt <= 1 || !Number.isFinite(attempt) ? 1 : Math.floor(attempt);
}

export function hasAttempt(seen: Attempts, attempt: number): boolean {
  const a = normalise(attempt);
  return a <= 31 ? (seen.bits & (1 << (a - 1))) !== 0 : seen.high?.has(a) === true;
}

export function addAttempt(seen: Attempts, attempt: number): void {
  const a = normalise(attempt);
  if (a <= 31) seen.bits |= 1 << (a - 1);
  else {
    seen.high ??= new Set();
    seen.high.add(a);
  }
}

/**
 * How a delivery of a message already delivered before (whose attempts are in `seen`)
 * counts: the same attempt again, or a first attempt after any delivery, is a duplicate;
 * a new attempt above the first is the protocol redelivering (nack, disconnect, ack timeout).
 */
export function repeatKind(seen: Attempts, attempt: number): 'duplicate' | 'redelivery' {
  return attempt <= 1 || hasAttempt(seen, attempt) ? 'duplicate' : 'redelivery';
}
