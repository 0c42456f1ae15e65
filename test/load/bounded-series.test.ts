// The bounded series, memory samples and progress cadence: at most what the report
// draws, whatever the run's length, with counts kept exact.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  BoundedSeries,
  GeneratorMonitor,
  mergeIntervals,
  PostGcHeap,
  ProgressCadence,
  SampleBuffer,
  memorySeries,
} from '../../src/load/index.js';
import type { IntervalPoint, MemorySample } from '../../src/load/index.js';

const point = (t: number, over: Partial<IntervalPoint> = {}): IntervalPoint => ({
  t,
  requests: 10,
  errors: t % 7 === 0 ? 1 : 0,
  bytes: 100,
  p50: 1,
  p99: t % 50 === 0 ? 9 : 2,
  inflight: t % 5,
  ...over,
});

describe('BoundedSeries', () => {
  it('keeps every interval while it fits', () => {
    const s = new BoundedSeries(8);
    for (let t = 1; t <= 7; t++) s.push(point(t));
    expect(s.points().map((p) => p.t)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(s.intervalsPerPoint).toBe(1);
  });

  it('merges adjacent intervals of a long run: evenly spaced, sums exact, p99 the larger, in-flight the later', () => {
    const s = new BoundedSeries(600);
    let requests = 0;
    let errors = 0;
    for (let t = 1; t <= 86_400; t++) {
      const p = point(t);
      requests += p.requests;
      errors += p.errors;
      s.push(p);
    }
    const points = s.points();
    expect(points.length).toBeLessThanOrEqual(600);
    expect(points.length).toBeGreaterThan(300);
    expect(points.reduce((a, p) => a + p.requests, 0)).toBe(requests);
    expect(points.reduce((a, p) => a + p.errors, 0)).toBe(errors);
    const spacing = points[1]!.t - points[0]!.t;
    expect(spacing).toBe(s.intervalsPerPoint);
    for (let i = 1; i < points.length - 1; i++) expect(points[i]!.t - points[i - 1]!.t).toBe(spacing);
    expect(points.at(-1)!.t).toBe(86_400); // the latest interval is always there
    expect(Math.max(...points.map((p) => p.p99))).toBe(9);
    expect(mergeIntervals(point(1), point(2, { inflight: 42, p50: 3 }))).toMatchObject({
      t: 2,
      requests: 20,
      inflight: 42,
      p50: 3,
    });
  });

  it('rejects a capacity it cannot halve', () => {
    expect(() => new BoundedSeries(5)).toThrow(RangeError);
  });
});

describe('SampleBuffer', () => {
  const MiB = 1024 * 1024;

  it('keeps every sample up to its capacity, then thins evenly and keeps the first and the latest', () => {
    const b = new SampleBuffer(100);
    for (let t = 0; t < 99; t++) b.push({ t, rssBytes: 100 * MiB + t });
    expect(b.samples()).toHaveLength(99);
    for (let t = 99; t < 10_000; t++) b.push({ t, rssBytes: 100 * MiB + t });
    const kept = b.samples();
    expect(kept.length).toBeLessThanOrEqual(100);
    expect(kept.length).toBeGreaterThan(40);
    expect(kept[0]!.t).toBe(0);
    expect(kept.at(-1)!.t).toBe(9999);
    const gaps = new Set(kept.slice(1, -1).map((s, i) => s.t - kept[i]!.t));
    expect(gaps.size).toBe(1); // evenly spaced
  });

  it('keeps every new post-GC reading while they take at most half of it', () => {
    const b = new SampleBuffer(200);
    const samples: MemorySample[] = [];
    for (let t = 0; t < 5000; t++) {
      // A full GC every 100 samples: 50 distinct readings.
      const s = { t, rssBytes: 200 * MiB, postGcHeapBytes: (50 + Math.floor(t / 100)) * MiB };
      samples.push(s);
      b.push(s);
    }
    expect(b.samples().length).toBeLessThanOrEqual(200);
    expect(memorySeries(b.samples(), 'postGcHeap')).toEqual(memorySeries(samples, 'postGcHeap'));
  });

  it('thins the readings too when there are more than half of it', () => {
    const b = new SampleBuffer(100);
    for (let t = 0; t < 1000; t++) b.push({ t, rssBytes: 1, postGcHeapBytes: t + 1 }); // a new reading every sample
    const readings = memorySeries(b.samples(), 'postGcHeap');
    expect(readings.length).toBeLessThanOrEqual(100);
    expect(readings.length).toBeGreaterThan(25);
  });
});

describe('ProgressCadence', () => {
  it('writes a line every interval, doubling the interval after each step of lines', () => {
    const c = new ProgressCadence(30, 4);
    const at: number[] = [];
    for (let s = 1; s <= 3600; s++) if (c.due(s)) at.push(s);
    expect(at.slice(0, 6)).toEqual([30, 60, 90, 120, 180, 240]);
    // 24 hours at 30 s would be 2880 lines; with the default step of 120, about 570.
    const day = new ProgressCadence(30);
    let lines = 0;
    for (let s = 1; s <= 86_400; s++) if (day.due(s)) lines++;
    expect(lines).toBeLessThan(600);
    expect(lines).toBeGreaterThan(400);
  });
});

describe('GeneratorMonitor memory', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  it('reads the heap after the latest full GC, and keeps it until the next', () => {
    const heap = new PostGcHeap().start();
    expect(heap.read()).toBeUndefined();
    gc();
    const first = heap.read();
    expect(first).toBeGreaterThan(1024 * 1024);
    expect(heap.read()).toBe(first); // no GC since: the same reading
    heap.stop();
  });

  it('samples its own RSS, heap and post-GC heap and judges them like the target', () => {
    const monitor = new GeneratorMonitor({ intervalMs: 60_000 }).start();
    for (let i = 0; i < 10; i++) {
      if (i === 3) gc();
      monitor.sample();
    }
    const samples = monitor.samples;
    expect(samples).toHaveLength(10);
    expect(samples.every((s) => s.rssBytes > 0 && (s.heapUsedBytes ?? 0) > 0)).toBe(true);
    expect(samples[2]!.postGcHeapBytes).toBeUndefined();
    expect(samples[3]!.postGcHeapBytes).toBeGreaterThan(0);
    const health = monitor.stop();
    expect(health.memory?.source).toBe('proc');
    expect(health.memory?.samples).toHaveLength(11);
    expect(health.memory?.trends.map((t) => t.metric)).toEqual(['postGcHeap', 'rss']);
    expect(health.rssBytesMax).toBeGreaterThanOrEqual(Math.max(...samples.map((s) => s.rssBytes)));
  });
});
