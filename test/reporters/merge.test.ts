import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { decodeHistogram, mergeHistogramRecords } from '../../src/reporters/internal/histogram.js';
import { mergeByScenario, mergeScenario, mergeSeries } from '../../src/reporters/merge.js';
import { histogramOf, range, scenarioResult } from './fixtures/results.js';

describe('mergeHistogramRecords', () => {
  it('adds encoded histograms losslessly: same figures as one histogram of both data sets', () => {
    const a = range(1, 0.25, 4000); // 1 … 1000.75 ms
    const b = range(200, 3, 1500); // 200 … 4697 ms
    const merged = mergeHistogramRecords([histogramOf(a), histogramOf(b)]);
    const both = histogramOf([...a, ...b]);
    expect(merged.summary).toEqual(both.summary);
    expect(merged.summary.count).toBe(5500);
    const decoded = decodeHistogram(merged.encoded);
    const direct = decodeHistogram(both.encoded);
    for (const p of [50, 90, 99, 99.9, 100])
      expect(decoded.getValueAtPercentile(p)).toBe(direct.getValueAtPercentile(p));
  });

  it('summarises microsecond recordings in ms within the histogram precision', () => {
    const values = range(1, 1, 1000); // 1 … 1000 ms, exact p99 = 990 ms
    const { summary } = histogramOf(values);
    expect(summary.p99).toBeGreaterThanOrEqual(990 * 0.999);
    expect(summary.p99).toBeLessThanOrEqual(990 * 1.001);
    expect(summary.mean).toBeCloseTo(500.5, 0);
  });

  it('keeps a single record untouched', () => {
    const one = histogramOf([1, 2, 3]);
    expect(mergeHistogramRecords([one])).toBe(one);
    expect(() => mergeHistogramRecords([])).toThrow(/at least one/);
  });

  it('accepts histograms the harness encodes with other bucket sizes', () => {
    const h = hdr.build({ bitBucketSize: 'packed' });
    h.recordValue(5000);
    const merged = mergeHistogramRecords([
      histogramOf([5]),
      { unit: 'ms', encoded: hdr.encodeIntoCompressedBase64(h), summary: histogramOf([5]).summary },
    ]);
    expect(merged.summary.count).toBe(2);
    expect(merged.summary.max).toBeCloseTo(5, 2);
  });
});

describe('mergeScenario', () => {
  it('sums counts, recomputes rates over the wall-clock span and keeps per-source parts', () => {
    const a = scenarioResult({ latenciesMs: range(1, 1, 100) });
    const b = scenarioResult({ latenciesMs: range(50, 1, 100), failing: true, growing: true, saturated: true });
    const merged = mergeScenario([
      { label: 'machine-a', result: a },
      { label: 'machine-b', result: b },
    ]);

    expect(merged.histograms['http.latency']!.summary.count).toBe(200);
    expect(merged.counters.requests).toBe(a.counters.requests! + b.counters.requests!);
    expect(a.statusCodes['503']).toBeGreaterThan(0);
    expect(merged.statusCodes['503']).toBe(a.statusCodes['503']! + b.statusCodes['503']!);
    expect(b.errors.TIMEOUT).toBeGreaterThan(0);
    expect(merged.errors.TIMEOUT).toBe((a.errors.TIMEOUT ?? 0) + b.errors.TIMEOUT!);
    // Same start, same duration (concurrent machines): rates add up.
    expect(merged.throughput.requestsPerS).toBeCloseTo(a.throughput.requestsPerS! + b.throughput.requestsPerS!, 9);
    expect(merged.durationS).toBe(60);
    expect(merged.sources.map((s) => s.label)).toEqual(['machine-a', 'machine-b']);
    expect(merged.memory.verdict).toBe('growing');
    expect(merged.generator.saturated).toBe(true);
    expect(merged.generator.reason).toContain('machine-b');
    expect(merged.thresholds.filter((t) => !t.passed).map((t) => t.source)).toEqual(['machine-b']);
    expect(merged.config.mergedSources).toBe(2);
  });

  it('averages rates by duration when the sources ran one after the other', () => {
    const a = scenarioResult({ startedAt: '2025-01-01T00:00:00.000Z', durationS: 10 });
    const b = scenarioResult({ startedAt: '2025-01-01T00:00:10.000Z', durationS: 10 });
    const merged = mergeScenario([
      { label: 'a', result: a },
      { label: 'b', result: b },
    ]);
    expect(merged.durationS).toBe(20);
    expect(merged.throughput.requestsPerS).toBeCloseTo(a.throughput.requestsPerS!, 9);
  });

  it('merges an already merged scenario again (results.json of distributed runs)', () => {
    const ab = mergeScenario([
      { label: 'a', result: scenarioResult() },
      { label: 'b', result: scenarioResult() },
    ]);
    const abc = mergeScenario([
      { label: 'ab', result: ab },
      { label: 'c', result: scenarioResult() },
    ]);
    expect(abc.histograms['http.latency']!.summary.count).toBe(3000);
    expect(abc.sources.map((s) => s.label)).toEqual(['a', 'b', 'c']);
  });

  it('sums the delivery ledgers of the sources that have one; the lost sample stays at most 20 ids', () => {
    const withLedger = (lost: number, prefix: string) => {
      const r = scenarioResult();
      r.ledger = {
        enqueued: 1000,
        deliveredUnique: 1000 - lost,
        duplicates: 2,
        lost,
        lostSample: Array.from({ length: Math.min(lost, 20) }, (_, i) => `${prefix}-${i}`),
      };
      return r;
    };
    const merged = mergeScenario([
      { label: 'a', result: withLedger(15, 'a') },
      { label: 'b', result: scenarioResult() }, // no ledger: adds nothing
      { label: 'c', result: withLedger(12, 'c') },
    ]);
    expect(merged.ledger).toMatchObject({ enqueued: 2000, deliveredUnique: 1973, duplicates: 4, lost: 27 });
    expect(merged.ledger!.lostSample).toEqual([
      ...Array.from({ length: 15 }, (_, i) => `a-${i}`),
      ...Array.from({ length: 5 }, (_, i) => `c-${i}`),
    ]);
    expect(
      mergeScenario([
        { label: 'b', result: scenarioResult() },
        { label: 'b2', result: scenarioResult() },
      ]).ledger,
    ).toBeUndefined();
  });

  it('merges concurrency: maxima add up (concurrent sources), the mean is weighted by duration over the span', () => {
    const a = scenarioResult({ startedAt: '2025-01-01T00:00:00.000Z', durationS: 10 });
    const b = scenarioResult({ startedAt: '2025-01-01T00:00:10.000Z', durationS: 30 });
    a.concurrency = { max: 4, mean: 3 };
    b.concurrency = { max: 6, mean: 5 };
    const merged = mergeScenario([
      { label: 'a', result: a },
      { label: 'b', result: b },
    ]);
    expect(merged.concurrency.max).toBe(10);
    expect(merged.concurrency.mean).toBeCloseTo((3 * 10 + 5 * 30) / 40, 9);
  });

  it('refuses an empty list with a clear error', () => {
    expect(() => mergeScenario([])).toThrow('mergeScenario needs at least one result');
  });

  it('refuses to merge different scenarios; mergeByScenario groups them', () => {
    const up = scenarioResult({ scenario: 'uploads' });
    const ws = scenarioResult({ scenario: 'ws' });
    expect(() =>
      mergeScenario([
        { label: 'a', result: up },
        { label: 'b', result: ws },
      ]),
    ).toThrow(/several scenario names/);
    const merged = mergeByScenario([
      { label: 'a', result: up },
      { label: 'b', result: ws },
      { label: 'c', result: scenarioResult() },
    ]);
    expect(merged.map((m) => [m.scenario, m.sources.length])).toEqual([
      ['uploads', 2],
      ['ws', 1],
    ]);
  });
});

describe('mergeSeries', () => {
  it('sums counts per interval and keeps the worst interval percentile, never an average', () => {
    const merged = mergeSeries([
      [{ t: 1, requests: 10, errors: 1, bytes: 100, p50: 5, p99: 20, inflight: 2 }],
      [
        { t: 1, requests: 5, errors: 0, bytes: 50, p50: 7, p99: 15, inflight: 1 },
        { t: 2, requests: 3, errors: 0, bytes: 30, p50: 4, p99: 9, inflight: 1 },
      ],
    ]);
    expect(merged).toEqual([
      { t: 1, requests: 15, errors: 1, bytes: 150, p50: 7, p99: 20, inflight: 3 },
      { t: 2, requests: 3, errors: 0, bytes: 30, p50: 4, p99: 9, inflight: 1 },
    ]);
  });
});
