import { describe, expect, it } from 'vitest';
import { analyzeMemory, createRng, judgeTrend, mannKendall, theilSen } from '../../src/load/index.js';
import type { TrendPoint } from '../../src/load/index.js';

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
    const v = judgeTrend('postGcHeap', points, { warmupS: 0 });
    expect(v.slopeMBPerMin).toBeGreaterThan(4);
    expect(v.verdict).toBe('stable');
    expect(v.reason).toMatch(/fitted growth 0\.\d+ MiB .* below the 1\.000 MiB floor/);
    expect(judgeTrend('postGcHeap', points, { warmupS: 0, minGrowthMB: 0.1 }).verdict).toBe('growing');
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
    const samples = Array.from({ length: 120 }, (_, t) => ({
      t,
      rssBytes: (100 + t / 60) * 1.0 * MiB * 5, // 5 MiB/min
      postGcHeapBytes: 40 * MiB,
    }));
    const report = analyzeMemory(samples, 'proc');
    expect(report.trends.map((t) => [t.metric, t.verdict])).toEqual([
      ['postGcHeap', 'stable'],
      ['rss', 'growing'],
    ]);
    expect(report.verdict).toBe('growing');
    expect(report.rss.growthBytes).toBeGreaterThan(9 * MiB);
  });

  it('no samples: inconclusive, source none', () => {
    const report = analyzeMemory([], 'proc');
    expect(report.verdict).toBe('inconclusive');
    expect(report.source).toBe('none');
  });
});
