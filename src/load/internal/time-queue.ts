// TimeQueue: keys in the order their times were pushed (times must not decrease), popped
// from the head once their time is at or below a cutoff. The harness's per-message state
// expires through it: a plain array with a moving head (Array#shift is O(n), and using a
// Map's insertion order as a queue walks its deleted slots on every scan).

export class TimeQueue<K> {
  private keys: K[] = [];
  private times: number[] = [];
  private head = 0;

  get length(): number {
    return this.keys.length - this.head;
  }

  push(key: K, time: number): void {
    this.keys.push(key);
    this.times.push(time);
  }

  /** Pops every entry whose time is ≤ `cutoff`, oldest first, calling `fn` for each. */
  drain(cutoff: number, fn: (key: K, time: number) => void): void {
    while (this.head < this.keys.length && this.times[this.head]! <= cutoff) {
      const key = this.keys[this.head]!;
      const time = this.times[this.head]!;
      this.keys[this.head] = undefined as K; // let the key be collected
      this.head++;
      fn(key, time);
    }
    // Drop the popped prefix once it is most of the array (amortised O(1) per entry).
    if (this.head > 1024 && this.head * 2 > this.keys.length) {
      this.keys = this.keys.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    } else if (this.head === this.keys.length && this.head > 0) {
      this.keys = [];
      this.times = [];
      this.head = 0;
    }
  }

  clear(): void {
    this.keys = [];
    this.times = [];
    this.head = 0;
  }
}
