import { describe, expect, it } from 'vitest';
import {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeEncoded,
  recordMs,
  summarize,
} from '../../src/load/index.js';
import { createRng } from '../../src/load/index.js';

// 3 significant digits: any value is within 0.1 % of the recorded one.
const within = (actual: number, exact: number) =>
  expect(Math.abs(actual - exact)).toBeLessThanOrEqual(exact * 0.001 + 0.001);

describe('HDR histogram helpers', () => {
  it('percentiles match exact values on known data within the precision', () => {
    const h = createHistogram();
    // 1..10000 ms, each once: the exact p-th percentile is p*100 ms.
    for (let ms = 1; ms <= 10_000; ms++) recordMs(h, ms);
    const s = summarize(h);
    expect(s.count).toBe(10_000);
    within(s.min, 1);
    within(s.max, 10_000);
    within(s.p50, 5_000);
    within(s.p90, 9_000);
    within(s.p95, 9_500);
    within(s.p99, 9_900);
    within(s.p999, 9_990);
    within(s.mean, 5_000.5);
  });

  it('records microsecond resolution for sub-millisecond latencies', () => {
    const h = createHistogram();
    recordMs(h, 0.25);
    recordMs(h, 0.0001); // rounds up to the 1 µs floor
    const s = summarize(h);
    within(s.max, 0.25);
    expect(s.min).toBe(0.001);
  });

  it('an empty histogram summarises to zeros', () => {
    expect(summarize(createHistogram())).toMatchObject({ count: 0, min: 0, max: 0, p99: 0 });
  });

  it('two merged encoded histograms equal one histogram of both', () => {
    const rng = createRng(42);
    const a = createHistogram();
    const b = createHistogram();
    const both = createHistogram();
    for (let i = 0; i < 5000; i++) {
      const x = rng.next() * 200;
      recordMs(a, x);
      recordMs(both, x);
      const y = 50 + rng.next() * 5000; // a different range: forces a resize on merge
      recordMs(b, y);
      recordMs(both, y);
    }
    const merged = decodeHistogram(mergeEncoded([encodeHistogram(a), encodeHistogram(b)]));
    expect(summarize(merged)).toEqual(summarize(both));
    expect(merged.totalCount).toBe(10_000);
    for (const p of [1, 10, 33.3, 50, 75, 99, 99.99]) {
      expect(merged.getValueAtPercentile(p)).toBe(both.getValueAtPercentile(p));
    }
  });

  it('decode(encode(h)) is lossless and can keep growing', () => {
    const h = createHistogram();
    for (let i = 1; i <= 100; i++) recordMs(h, i);
    const back = decodeHistogram(encodeHistogram(h));
    expect(summarize(back)).toEqual(summarize(h));
    recordMs(back, 3_600_000); // an hour: beyond the decoded range
    expect(summarize(back).max).toBeGreaterThan(3_590_000);
  });
});
