import { describe, expect, it } from 'vitest';
import { analyzeMemory, createRng, defaultWarmupS, judgeTrend, mannKendall, theilSen } from '../../src/load/index.js';
import type { TrendPoint } from '../../src/load/index.js';
import { trendLine } from '../../reporters/render/format.js';

const MiB = 1024 * 1024;

function series(n: number, f: (t: number, i: number) => number): TrendPoint[] {
  return Array.from({ length: n }, (_, i) => ({ t: i, value: f(i, i) }));
}

describe('Theil–Sen and Mann–Kendall', () => {
  it('Theil–Sen ignores outliers', () => {
    const xs = Array.from({ length: 50 }, (_, i) => i);
    const ys = xs.map((x) => 2 * x + 1);
    ys[10] = 1000;
    ys[40] = -500;
    expect(theilSen(xs, ys).slope).toBeCloseTo(2, 6);
  });

  it('Mann–Kendall: a monotonic series is significant, a constant one is not', () => {
    expect(mannKendall(Array.from({ length: 30 }, (_, i) => i)).pValue).toBeLessThan(1e-6);
    const flat = mannKendall(Array.from({ length: 30 }, () => 7));
    expect(flat.s).toBe(0);
    expect(flat.pValue).toBe(1);
  });

  it('Mann–Kendall corrects the variance for ties', () => {
    const withTies = mannKendall([1, 1, 1, 2, 2, 2, 3, 3, 3, 4]);
    const noTies = mannKendall([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(withTies.variance).toBeLessThan(noTies.variance);
    expect(noTies.variance).toBeCloseTo((10 * 9 * 25) / 18, 9);
  });
});

describe('judgeTrend', () => {
  it('flat with noise and a GC sawtooth is stable', () => {
    const rng = createRng(7);
    // 10 minutes at 1 Hz: 80 MiB base, ±2 MiB noise, a sawtooth climbing 6 MiB per 20 s then collapsing.
    const points = series(600, (t) => (80 + (t % 20) * 0.3 + (rng.next() - 0.5) * 4) * MiB);
    const v = judgeTrend('rss', points);
    expect(v.verdict).toBe('stable');
    expect(Math.abs(v.slopeMBPerMin)).toBeLessThan(0.25);
    expect(v.warmupS).toBeCloseTo(119.8, 1);
    expect(v.samples).toBe(480);
  });

  it('+1 MiB/min with noise is growing, with the slope and projection', () => {
    const rng = createRng(11);
    const points = series(600, (t) => (60 + t / 60 + (rng.next() - 0.5) * 1) * MiB);
    const v = judgeTrend('postGcHeap', points);
    expect(v.verdict).toBe('growing');
    expect(v.slopeMBPerMin).toBeGreaterThan(0.9);
    expect(v.slopeMBPerMin).toBeLessThan(1.1);
    expect(v.projectedMBPerHour).toBeCloseTo(v.slopeMBPerMin * 60, 1);
    expect(v.pValue).toBeLessThan(0.01);
    expect(v.reason).toMatch(/rising/);
  });

  it('a significant but tiny slope stays stable (practical floor)', () => {
    const points = series(600, (t) => (200 + t * 0.0001) * MiB); // 0.006 MiB/min
    const v = judgeTrend('rss', points);
    expect(v.pValue).toBeLessThan(0.01);
    expect(v.verdict).toBe('stable');
    expect(v.reason).toMatch(/floor/);
  });

  it('a steep but tiny rise over a few seconds stays stable (minimum fitted growth)', () => {
    // 5 s at 5 Hz rising 0.4 MiB: 4.8 MiB/min, yet only 0.4 MiB of growth — warm-up noise, not a leak.
    const points = Array.from({ length: 25 }, (_, i) => ({ t: i * 0.2, value: (24 + i * 0.016) * MiB }));
    const v = judgeTrend('postGcHeap', points, { warmupS: 0, minWindowS: 0 });
    expect(v.slopeMBPerMin).toBeGreaterThan(4);
    expect(v.verdict).toBe('stable');
    expect(v.reason).toMatch(/fitted growth 0\.\d+ MiB .* below the 1\.000 MiB floor/);
    expect(judgeTrend('postGcHeap', points, { warmupS: 0, minWindowS: 0, minGrowthMB: 0.1 }).verdict).toBe('growing');
  });

  it('5 samples are inconclusive, with the reason', () => {
    const v = judgeTrend('rss', series(5, (t) => (50 + t * 10) * MiB), { warmupS: 0 });
    expect(v.verdict).toBe('inconclusive');
    expect(v.reason).toMatch(/only 5 samples/);
  });

  it('subsamples long series and still decides', () => {
    const points = series(5000, (t) => (100 + t / 30) * MiB); // 2 MiB/min for 83 min
    const v = judgeTrend('rss', points);
    expect(v.samples).toBe(2000);
    expect(v.verdict).toBe('growing');
    expect(v.slopeMBPerMin).toBeCloseTo(2, 3);
  });
});

describe('analyzeMemory', () => {
  it('judges post-GC heap and RSS and combines the verdicts', () => {
    const rng = createRng(3);
    const gcNoise = Array.from({ length: 30 }, () => (rng.next() - 0.5) * 0.2);
    // 5 minutes at 1 Hz: RSS +5 MiB/min; a full GC every 10 s with a flat post-GC heap.
    const samples = Array.from({ length: 300 }, (_, t) => ({
      t,
      rssBytes: (100 + (5 * t) / 60) * MiB,
      postGcHeapBytes: Math.round((40 + gcNoise[Math.floor(t / 10)]!) * MiB),
    }));
    const report = analyzeMemory(samples, 'proc');
    expect(report.trends.map((t) => [t.metric, t.verdict])).toEqual([
      ['postGcHeap', 'stable'],
      ['rss', 'growing'],
    ]);
    expect(report.verdict).toBe('growing');
    // 30 post-GC readings (one per 10 s), not 300 samples; RSS after a 60 s warm-up.
    expect(report.trends[0]!.samples).toBeLessThanOrEqual(30);
    expect(report.trends[1]).toMatchObject({ warmupS: 60, samples: 240, windowS: 239, fitted: true });
    expect(report.rss.growthBytes).toBeGreaterThan(9 * MiB);
  });

  it('a post-GC staircase of a few full GCs is a few readings, not a significant trend', () => {
    // 3 full GCs in 3 minutes, each reading repeated by the 1 Hz sampler: the old count
    // would have been ~150 tied samples and a tiny p-value.
    const samples = Array.from({ length: 180 }, (_, t) => ({ t, rssBytes: 100 * MiB, postGcHeapBytes: (20 + Math.floor(t / 60)) * MiB }));
    const heap = analyzeMemory(samples, 'proc').trends.find((t) => t.metric === 'postGcHeap')!;
    expect(heap.verdict).toBe('inconclusive');
    expect(heap.inconclusive).toBe('samples');
    expect(heap.reason).toMatch(/only 2 post-GC readings after the .* warm-up \(need 8\): memwatch reports the heap only after a full GC/);
  });

  it('a target that reports heap figures but no post-GC reading says so', () => {
    const samples = Array.from({ length: 30 }, (_, t) => ({ t, rssBytes: 100 * MiB, heapUsedBytes: 30 * MiB }));
    const heap = analyzeMemory(samples, 'metrics-url').trends.find((t) => t.metric === 'postGcHeap')!;
    expect(heap).toMatchObject({ verdict: 'inconclusive', inconclusive: 'no-data', samples: 0 });
    expect(heap.reason).toMatch(/no full GC during the run/);
  });

  it('a window shorter than the minimum is not judged, even when RSS rises during warm-up', () => {
    // A 30 s CI smoke: RSS climbs 40 MiB as the process warms up. The slope is fitted and
    // reported, but the verdict is inconclusive ("not judged"), never "growing".
    const samples = Array.from({ length: 31 }, (_, t) => ({ t, rssBytes: (100 + 40 * (1 - Math.exp(-t / 15))) * MiB }));
    const rss = analyzeMemory(samples, 'proc').trends.find((t) => t.metric === 'rss')!;
    expect(rss).toMatchObject({ verdict: 'inconclusive', inconclusive: 'window', fitted: true, warmupS: 15 });
    expect(rss.slopeMBPerMin).toBeGreaterThan(1);
    expect(rss.reason).toMatch(/^not judged: 15 s of samples after the 15 s warm-up, a trend verdict needs 2 min \(slope \+[\d.]+ MiB\/min, p=[\d.e-]+ so far/);
    // Rendered without a scary projection per hour.
    expect(trendLine(rss)).toMatch(/^RSS: not judged — 15 s of samples after the 15 s warm-up, a trend verdict needs 2 min/);
    expect(trendLine(rss)).not.toMatch(/MiB\/h/);
    // The same series judged without the minimum window would have called it a leak.
    expect(judgeTrend('rss', samples.map((s) => ({ t: s.t, value: s.rssBytes })), { minWindowS: 0 }).verdict).toBe('growing');
  });

  it('RSS warm-up is up to 60 s, post-GC heap up to 10 s, and 20 % of long runs', () => {
    expect(defaultWarmupS(60, 'rss')).toBe(30);
    expect(defaultWarmupS(200, 'rss')).toBe(60);
    expect(defaultWarmupS(200, 'postGcHeap')).toBe(40);
    expect(defaultWarmupS(40, 'postGcHeap')).toBe(10);
    expect(defaultWarmupS(900, 'rss')).toBe(180);
  });

  it('no samples: inconclusive, source none', () => {
    const report = analyzeMemory([], 'proc');
    expect(report.verdict).toBe('inconclusive');
    expect(report.source).toBe('none');
  });
});
