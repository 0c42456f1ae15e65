import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeSet } from '../../src/load/internal/range-set.js';
import { TimeQueue } from '../../src/load/internal/time-queue.js';

describe('RangeSet', () => {
  it('keeps consecutive numbers as one interval and a gap as two', () => {
    const set = new RangeSet();
    for (let i = 0; i < 1000; i++) set.add(i);
    expect(set.intervals).toBe(1);
    expect(set.size).toBe(1000);
    set.add(1001);
    expect(set.toArray()).toEqual([
      [0, 1000],
      [1001, 1002],
    ]);
    expect(set.has(1000)).toBe(false);
    expect(set.add(1000)).toBe(true); // fills the gap: the two intervals join
    expect(set.toArray()).toEqual([[0, 1002]]);
    expect(set.add(5)).toBe(false);
  });

  it('behaves like a Set of integers, in any order of adds (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }),
        fc.array(fc.integer({ min: 0, max: 220 }), { maxLength: 50 }),
        (adds, probes) => {
          const set = new RangeSet();
          const reference = new Set<number>();
          for (const x of adds) {
            const fresh = !reference.has(x);
            reference.add(x);
            expect(set.add(x)).toBe(fresh);
          }
          expect(set.size).toBe(reference.size);
          for (const x of [...probes, ...adds]) expect(set.has(x)).toBe(reference.has(x));
          // Sorted, disjoint, never adjacent.
          const intervals = set.toArray();
          for (let i = 1; i < intervals.length; i++) expect(intervals[i]![0]).toBeGreaterThan(intervals[i - 1]![1]);
        },
      ),
    );
  });
});

describe('TimeQueue', () => {
  it('pops entries at or below the cutoff, oldest first, and compacts its arrays', () => {
    const q = new TimeQueue<string>();
    for (let i = 0; i < 5000; i++) q.push(`k${i}`, i);
    const popped: string[] = [];
    q.drain(2.5, (k) => popped.push(k));
    expect(popped).toEqual(['k0', 'k1', 'k2']);
    q.drain(4000, () => undefined);
    expect(q.length).toBe(999);
    q.drain(Infinity, () => undefined);
    expect(q.length).toBe(0);
  });
});
