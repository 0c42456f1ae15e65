// RangeSet: a set of non-negative integers kept as sorted, disjoint, non-adjacent
// half-open intervals [start, end). A set of sequence numbers that are mostly contiguous
// (messages delivered roughly in the order they were sent) costs one interval per gap,
// not one entry per number: a million consecutive numbers are one interval.
//
// Adds near the top (the common case) are O(1); others are a binary search plus an
// array splice, so a set with many gaps stays correct, only slower.

export class RangeSet {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private count = 0;

  /** How many integers are in the set. */
  get size(): number {
    return this.count;
  }

  /** How many intervals hold them (the set's memory is proportional to this). */
  get intervals(): number {
    return this.starts.length;
  }

  has(x: number): boolean {
    const i = this.indexAtOrBelow(x);
    return i >= 0 && x < this.ends[i]!;
  }

  /** Adds `x` (an integer ≥ 0); true when it was not in the set. */
  add(x: number): boolean {
    const n = this.starts.length;
    // Fast path: extends the last interval (numbers arriving in order).
    if (n > 0 && x === this.ends[n - 1]) {
      this.ends[n - 1] = x + 1;
      this.count++;
      return true;
    }
    const i = this.indexAtOrBelow(x);
    if (i >= 0 && x < this.ends[i]!) return false;
    const left = i >= 0 && this.ends[i] === x;
    const right = i + 1 < n && this.starts[i + 1] === x + 1;
    if (left && right) {
      this.ends[i] = this.ends[i + 1]!;
      this.starts.splice(i + 1, 1);
      this.ends.splice(i + 1, 1);
    } else if (left) {
      this.ends[i] = x + 1;
    } else if (right) {
      this.starts[i + 1] = x;
    } else {
      this.starts.splice(i + 1, 0, x);
      this.ends.splice(i + 1, 0, x + 1);
    }
    this.count++;
    return true;
  }

  /** The intervals, for tests and debugging. */
  toArray(): Array<[number, number]> {
    return this.starts.map((s, i) => [s, this.ends[i]!]);
  }

  /** Index of the last interval starting at or below x, or -1. */
  private indexAtOrBelow(x: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! <= x) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
