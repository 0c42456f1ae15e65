import { afterEach, describe, expect, it } from 'vitest';
import { TimerHeap } from '../../src/gateway/streams/index.js';

describe('TimerHeap', () => {
  const heaps: TimerHeap[] = [];
  const heap = () => {
    const h = new TimerHeap((err) => {
      throw err;
    });
    heaps.push(h);
    return h;
  };
  afterEach(() => {
    for (const h of heaps.splice(0)) h.clear();
  });

  it('fires in deadline order, never early', async () => {
    const h = heap();
    const fired: Array<[string, number]> = [];
    const start = Date.now();
    const done = new Promise<void>((resolve) => {
      h.schedule(40, () => fired.push(['c', Date.now() - start]));
      h.schedule(10, () => fired.push(['a', Date.now() - start]));
      h.schedule(20, () => fired.push(['b', Date.now() - start]));
      h.schedule(60, () => resolve());
    });
    await done;
    expect(fired.map(([n]) => n)).toEqual(['a', 'b', 'c']);
    expect(fired[0]![1]).toBeGreaterThanOrEqual(10);
    expect(fired[2]![1]).toBeGreaterThanOrEqual(40);
    expect(h.size).toBe(0);
  });

  it('cancel removes entries in place, from anywhere in the heap', async () => {
    const h = heap();
    const fired: number[] = [];
    const entries = Array.from({ length: 200 }, (_, i) => h.schedule(5 + (i % 17), () => fired.push(i)));
    for (let i = 0; i < 200; i += 2) h.cancel(entries[i]);
    h.cancel(entries[0]); // twice is a no-op
    expect(h.size).toBe(100);
    await new Promise<void>((resolve) => h.schedule(40, resolve));
    expect(fired.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => 2 * i + 1));
    expect(h.size).toBe(0);
  });

  it('clear drops everything: a cleared entry never fires, even once later ones have', async () => {
    const h = heap();
    let fired = false;
    for (const ms of [1, 5, 10]) h.schedule(ms, () => (fired = true));
    h.clear();
    expect(h.size).toBe(0);
    // Entries fire in deadline order: once one scheduled after clear() at 30 ms has fired,
    // the cleared 1–10 ms ones would have fired first.
    await new Promise<void>((resolve) => h.schedule(30, resolve));
    expect(fired).toBe(false);
    expect(h.size).toBe(0);
  });
});
