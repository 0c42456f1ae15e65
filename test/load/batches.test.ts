import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchRecorder, batchWidthS, Metrics } from '../../src/load/index.js';
import { BATCH_MIN_SAMPLES } from '../../src/load/batches.js';
import { createHistogram, percentile, recordMs, type Histogram } from '../../src/load/histogram.js';

/** The grouping done the plain way: keep every slice's histogram, group them at the end. */
function referencePercentiles(slices: readonly number[][], p: 50 | 95 | 99): number[] {
  const out: number[] = [];
  let group: Histogram | undefined;
  for (const values of slices) {
    if (values.length === 0) continue;
    group ??= createHistogram();
    for (const v of values) recordMs(group, v);
    if (group.totalCount >= BATCH_MIN_SAMPLES[`p${p}`]) {
      out.push(Math.round(percentile(group, p) * 1000) / 1000);
      group = undefined;
    }
  }
  return out;
}

describe('BatchRecorder', () => {
  it('slices a run: counts per slice add up to the histogram, percentiles over groups with enough samples', () => {
    const metrics = new Metrics();
    const batches = new BatchRecorder(metrics, 1, 10);
    for (let second = 1; second <= 10; second++) {
      // 40 samples a second, slower in the second half; a histogram that starts late.
      for (let i = 0; i < 40; i++) {
        metrics.recordLatency('http.latency', second <= 5 ? 1 + i / 40 : 3 + i / 40);
        metrics.completed();
      }
      if (second > 6) metrics.recordLatency('late', 7);
      metrics.bytes(100, 50);
      batches.tick(second - 0.1); // a tick a little early still closes its slice
    }
    batches.tick(12); // after the load: ignored
    const out = batches.result();
    expect(out.t).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const http = out.latency['http.latency']!;
    expect(http.count).toEqual(Array(10).fill(40));
    expect(http.count.reduce((a, b) => a + b, 0)).toBe(metrics.histogram('http.latency').totalCount);
    expect(http.p50).toHaveLength(10); // 40 ≥ 5 samples: one value per slice
    expect(http.p95).toHaveLength(10);
    expect(http.p99).toHaveLength(3); // groups of 3 slices (120 samples ≥ 100); the last 40 are too few
    expect(http.p50[0]).toBeLessThan(2.1);
    expect(http.p50[9]).toBeGreaterThan(3);
    expect(out.latency.late!.count).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(out.latency.late!.p50).toEqual([]); // 4 samples: never enough
    expect(out.counts.requests).toEqual(Array(10).fill(40));
    expect(out.counts.bytes).toEqual(Array(10).fill(150));
  });

  it('gives the same percentiles as grouping kept slices, without keeping them (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0.01, max: 5000, noNaN: true }), { maxLength: 60 }), {
          minLength: 1,
          maxLength: 40,
        }),
        (slices) => {
          const metrics = new Metrics();
          const batches = new BatchRecorder(metrics, 1, slices.length);
          slices.forEach((values, i) => {
            for (const v of values) metrics.recordLatency('http.latency', v);
            batches.tick(i + 1);
          });
          const got = batches.result().latency['http.latency'];
          if (slices.every((v) => v.length === 0) && got === undefined) return;
          expect(got!.count).toEqual(slices.map((v) => v.length));
          for (const p of [50, 95, 99] as const) expect(got![`p${p}`]).toEqual(referencePercentiles(slices, p));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('about 30 slices a run, at least 1 s', () => {
    expect(batchWidthS(20)).toBe(1);
    expect(batchWidthS(60)).toBe(2);
    expect(batchWidthS(3600)).toBe(120);
  });
});
