// One timer for many deadlines: an indexed binary min-heap of entries and a single
// (unref'd) setTimeout armed for the earliest. Ack timeouts and nack delays are one
// entry per in-flight message, so cancelling must be O(log n) and leave nothing
// behind — each entry knows its heap index, and cancel removes it in place. The
// alternative (one setTimeout per message) costs a timer object per delivery and a
// lazy-deletion heap keeps settled entries alive until their deadline.

export interface TimerEntry {
  /** Absolute deadline (ms, from the heap's clock). */
  readonly at: number;
  /** Heap position; -1 once fired or cancelled. */
  index: number;
  readonly seq: number;
  readonly fire: () => void;
}

/** setTimeout's maximum delay (2^31 - 1 ms). */
const MAX_DELAY = 2_147_483_647;
/** Bound on entries fired in one tick, so a burst of deadlines cannot stall the loop. */
const MAX_FIRE_PER_TICK = 10_000;

export class TimerHeap {
  private heap: TimerEntry[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  constructor(
    private readonly onError: (err: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** Call `fire` after `delayMs` (never earlier). */
  schedule(delayMs: number, fire: () => void): TimerEntry {
    const entry: TimerEntry = { at: this.now() + Math.max(0, delayMs), index: this.heap.length, seq: this.seq++, fire };
    this.heap.push(entry);
    this.up(entry.index);
    if (entry.index === 0) this.arm();
    return entry;
  }

  /** Remove a pending entry; a no-op when it already fired or was cancelled. */
  cancel(entry: TimerEntry | undefined): void {
    if (!entry || entry.index < 0) return;
    const i = entry.index;
    const last = this.heap.pop() as TimerEntry;
    entry.index = -1;
    if (last !== entry) {
      this.heap[i] = last;
      last.index = i;
      this.down(i);
      this.up(last.index);
    }
    if (i === 0) this.arm();
  }

  /** Drop every entry and the timer. */
  clear(): void {
    for (const e of this.heap) e.index = -1;
    this.heap = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(): void {
    const top = this.heap[0];
    if (!top) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.armedFor = Infinity;
      return;
    }
    if (this.timer && this.armedFor <= top.at) return; // an earlier wake-up will re-arm
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = top.at;
    this.timer = setTimeout(() => this.run(), Math.min(MAX_DELAY, Math.max(0, top.at - this.now())));
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    let fired = 0;
    while (fired < MAX_FIRE_PER_TICK) {
      const top = this.heap[0];
      // Re-read the clock per entry: a callback may take time.
      if (!top || top.at > this.now()) break;
      this.cancel(top);
      fired++;
      try {
        top.fire();
      } catch (err) {
        this.onError(err);
      }
    }
    if (fired >= MAX_FIRE_PER_TICK && this.heap.length && !this.timer) {
      this.armedFor = -Infinity;
      this.timer = setTimeout(() => this.run(), 0);
      this.timer.unref();
      return;
    }
    this.arm();
  }

  private less(a: TimerEntry, b: TimerEntry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i] as TimerEntry;
    const b = this.heap[j] as TimerEntry;
    this.heap[i] = b;
    this.heap[j] = a;
    a.index = j;
    b.index = i;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.heap[i] as TimerEntry, this.heap[parent] as TimerEntry)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < n && this.less(this.heap[l] as TimerEntry, this.heap[min] as TimerEntry)) min = l;
      if (r < n && this.less(this.heap[r] as TimerEntry, this.heap[min] as TimerEntry)) min = r;
      if (min === i) return;
      this.swap(i, min);
      i = min;
    }
  }
}
