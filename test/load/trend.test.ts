import { describe, expect, it } from 'vitest';
import { analyzeMemory, createRng, fitLeakModel, judgeTrend, mannKendall, theilSen } from '../../src/load/index.js';
import type { HeapSourceInfo, TrendPoint } from '../../src/load/index.js';
import { trendLine } from '../../src/reporters/render/format.js';

const MiB = 1024 * 1024;

/** n points every `everyS` seconds of f(t) MiB. */
function series(n: number, everyS: number, f: (t: number) => number): TrendPoint[] {
  return Array.from({ length: n }, (_, i) => ({ t: i * everyS, value: f(i * everyS) * MiB }));
}

/** A clean target's warm-up: rises `amplitude` MiB towards its level with time constant `tauS`. */
const warmup = (amplitude: number, tauS: number) => (t: number) => -amplitude * Math.exp(-t / tauS);

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
});

describe('fitLeakModel', () => {
  it('separates a warm-up from a straight-line leak', () => {
    const rng = createRng(5);
    const xs = Array.from({ length: 60 }, (_, i) => i / 60); // minutes
    const ys = xs.map((x) => 20 + warmup(3, 3)(x * 60) + 2 * x + (rng.next() - 0.5) * 0.1);
    const fit = fitLeakModel(xs, ys).best;
    expect(fit.slope).toBeGreaterThan(1.8);
    expect(fit.slope).toBeLessThan(2.2);
    expect(fit.tau! * 60).toBeGreaterThan(1);
    expect(fit.tau! * 60).toBeLessThan(8);
    expect(fit.stdErr).toBeGreaterThan(0);
  });

  it('keeps no warm-up term for a straight line, and single spikes do not steer the slope', () => {
    const rng = createRng(2);
    const xs = Array.from({ length: 40 }, (_, i) => i);
    const ys = xs.map((x) => 50 + 0.5 * x + (rng.next() - 0.5) * 0.2);
    ys[7] = 90;
    const fit = fitLeakModel(xs, ys).best;
    expect(fit.tau).toBeUndefined();
    expect(fit.slope).toBeGreaterThan(0.48);
    expect(fit.slope).toBeLessThan(0.52);
  });
});

describe('judgeTrend', () => {
  it('flat with noise and a GC sawtooth is stable, and says which leak it rules out', () => {
    const rng = createRng(7);
    // 10 minutes at 1 Hz: 80 MiB base, ±2 MiB noise, a sawtooth climbing 6 MiB per 20 s then collapsing.
    const v = judgeTrend(
      'rss',
      series(600, 1, (t) => 80 + (t % 20) * 0.3 + (rng.next() - 0.5) * 4),
    );
    expect(v.verdict).toBe('stable');
    expect(Math.abs(v.slopeMBPerMin)).toBeLessThan(0.25);
    expect(v.minDetectableMBPerMin).toBeGreaterThan(0);
    expect(v.minDetectableMBPerMin).toBeLessThan(2);
    expect(v.reason).toMatch(/^no significant rise \(p=[\d.]+\); a leak must add [\d.]+ MiB within the 10 min judged/);
    expect(trendLine(v)).toMatch(
      /^RSS: stable, no leak above [\d.]+ MiB\/min \([+-]?[\d.]+ ± [\d.]+ MiB\/min\) — no significant rise/,
    );
  });

  it('+1 MiB/min over a 5-minute soak is growing, the slope within 15 %, despite the warm-up', () => {
    const rng = createRng(11);
    // A reading every 2 s; the heap warms up by 4 MiB (τ 5 s) while leaking 1 MiB/min.
    const v = judgeTrend(
      'postGcHeap',
      series(150, 2, (t) => 20 + warmup(4, 5)(t) + t / 60 + (rng.next() - 0.5) * 0.6),
    );
    expect(v.verdict, v.reason).toBe('growing');
    expect(v.slopeMBPerMin).toBeGreaterThan(0.85);
    expect(v.slopeMBPerMin).toBeLessThan(1.15);
    expect(v.projectedMBPerHour).toBeCloseTo(v.slopeMBPerMin * 60, 1);
    expect(v.pValue).toBeLessThan(0.01);
    expect(v.warmupFitted).toBe(true);
    expect(v.reason).toMatch(
      /^p=[\d.e+-]+ < 0\.01, above the 0\.25 MiB\/min floor, \+[\d.]+ MiB over 5 min; level [\d.]+ MiB, 150 post-GC readings over 5 min, a fitted/,
    );
    expect(trendLine(v)).toMatch(
      /^post-GC heap: growing \+[\d.]+ ± [\d.]+ MiB\/min \(projected \+[\d.]+ MiB\/h\) — p=/,
    );
  });

  it('a 60 s run: a slow warm-up is not a leak, 5 MiB/min is', () => {
    // The gateway's heap under upload load: a fast jump, then a slow settle (τ ≈ 1 min) worth ~0.7 MiB/min in the first minute.
    const clean = (t: number) => 21.8 + warmup(3.5, 1.5)(t) + warmup(1.3, 60)(t);
    const rng = createRng(3);
    const noise = () => (rng.next() - 0.5) * 0.6;
    const quiet = judgeTrend(
      'postGcHeap',
      series(30, 2, (t) => clean(t) + noise()),
    );
    expect(quiet.verdict, quiet.reason).toBe('stable');
    expect(quiet.minDetectableMBPerMin).toBeLessThan(3);
    const leak = judgeTrend(
      'postGcHeap',
      series(30, 2, (t) => clean(t) + (5 * t) / 60 + noise()),
    );
    expect(leak.verdict, leak.reason).toBe('growing');
    expect(leak.slopeMBPerMin).toBeGreaterThan(4.25);
    expect(leak.slopeMBPerMin).toBeLessThan(6.25);
  });

  it('a significant but tiny slope stays stable (practical floor)', () => {
    const v = judgeTrend(
      'rss',
      series(600, 1, (t) => 200 + t * 0.0001),
    ); // 0.006 MiB/min
    expect(v.verdict).toBe('stable');
    expect(v.reason).toMatch(/below the [\d.]+ MiB\/min floor/);
  });

  it('a rise too small for the run to count as a leak is stable with the bound it can state', () => {
    // 0.5 MiB/min for 60 s on a 20 MiB heap: significant, but +0.5 MiB is below the 2 MiB (10 % of the level) a leak must add.
    const v = judgeTrend(
      'postGcHeap',
      series(30, 2, (t) => 20 + t / 120),
    );
    expect(v.verdict).toBe('stable');
    expect(v.reason).toMatch(
      /^rising, but only \+0\.48 MiB over 58 s; a leak must add 2\.\d+ MiB within the 58 s judged/,
    );
    expect(
      judgeTrend(
        'postGcHeap',
        series(30, 2, (t) => 20 + t / 120),
        { minGrowthFraction: 0, minGrowthMB: 0.1 },
      ).verdict,
    ).toBe('growing');
  });

  it('a CI-length warm-up (RSS climbing 40 MiB in 30 s) is never `growing`', () => {
    const v = judgeTrend(
      'rss',
      series(31, 1, (t) => 140 + warmup(40, 15)(t)),
    );
    expect(v.verdict).not.toBe('growing');
  });

  it('a noisy short run is inconclusive and says what it could have seen', () => {
    const rng = createRng(9);
    const v = judgeTrend(
      'rss',
      series(10, 1, () => 100 + (rng.next() - 0.5) * 20),
    );
    expect(v).toMatchObject({ verdict: 'inconclusive', inconclusive: 'undetectable', fitted: true });
    expect(v.reason).toMatch(/^too noisy to tell: only a leak above [\d.]+ MiB\/min would show/);
    expect(trendLine(v)).toMatch(/^RSS: not judged — too noisy/);
    expect(trendLine(v)).not.toMatch(/MiB\/h/);
  });

  it('a falling series (memory handed back) is never growing: stable, with a negative slope', () => {
    const v = judgeTrend(
      'rss',
      series(300, 1, (t) => 300 - t / 20),
    ); // −3 MiB/min
    expect(v.verdict).toBe('stable');
    expect(v.slopeMBPerMin).toBeLessThan(-2.5);
  });

  it('the relative floor scales with the level: the same slope is growing on a small heap, stable on a large one', () => {
    // +0.5 MiB/min over 10 minutes: 5 MiB added — a leak on a 20 MiB heap (25 %), not on a 2 GiB one (0.2 %).
    const small = judgeTrend(
      'postGcHeap',
      series(120, 5, (t) => 20 + t / 120),
    );
    const large = judgeTrend(
      'postGcHeap',
      series(120, 5, (t) => 2048 + t / 120),
    );
    expect(small.verdict).toBe('growing');
    expect(large.verdict).toBe('stable');
    expect(large.slopeMBPerMin).toBeCloseTo(small.slopeMBPerMin, 1);
  });

  it('sorts its input by time and drops non-finite points: the same verdict and slope as the clean series', () => {
    const clean = series(300, 1, (t) => 100 + t / 12); // +5 MiB/min
    const shuffled = [...clean].reverse();
    shuffled.splice(
      10,
      0,
      { t: Number.NaN, value: 1 },
      { t: 50, value: Number.POSITIVE_INFINITY },
      { t: 60, value: Number.NaN },
    );
    const a = judgeTrend('rss', clean);
    const b = judgeTrend('rss', shuffled);
    expect(b.verdict).toBe('growing');
    expect(b.verdict).toBe(a.verdict);
    expect(b.samples).toBe(a.samples);
    expect(b.slopeMBPerMin).toBeCloseTo(a.slopeMBPerMin, 6);
  });

  it('5 samples are inconclusive, with the reason', () => {
    const v = judgeTrend(
      'rss',
      series(5, 1, (t) => 50 + t * 10),
    );
    expect(v).toMatchObject({ verdict: 'inconclusive', inconclusive: 'samples', fitted: false });
    expect(v.reason).toMatch(/only 5 samples/);
  });

  it('subsamples long series and still decides', () => {
    const v = judgeTrend(
      'rss',
      series(5000, 1, (t) => 100 + t / 30),
    ); // 2 MiB/min for 83 min
    expect(v.samples).toBe(2000);
    expect(v.verdict).toBe('growing');
    expect(v.slopeMBPerMin).toBeCloseTo(2, 3);
  });

  it('records the fitted line over the judged window', () => {
    const v = judgeTrend(
      'postGcHeap',
      series(60, 1, (t) => 30 + t / 6),
    ); // 10 MiB/min
    expect(v.line!.fromS).toBe(0);
    expect(v.line!.toS).toBe(59);
    expect(v.line!.fromMB).toBeCloseTo(30, 1);
    expect(v.line!.toMB).toBeCloseTo(30 + 59 / 6, 1);
  });
});

describe('analyzeMemory', () => {
  const inspector: HeapSourceInfo = { source: 'inspector', everyS: 10, readings: 30 };

  it('judges post-GC heap and RSS and combines the verdicts', () => {
    const rng = createRng(3);
    // 5 minutes at 1 Hz: RSS +5 MiB/min; a reading every 10 s of a flat post-GC heap.
    const samples = Array.from({ length: 300 }, (_, t) => ({
      t,
      rssBytes: (100 + (5 * t) / 60) * MiB,
      ...(t % 10 === 0 ? { postGcHeapBytes: Math.round((40 + (rng.next() - 0.5) * 0.2) * MiB) } : {}),
    }));
    const report = analyzeMemory(samples, 'proc', {}, { heap: inspector });
    expect(report.trends.map((t) => [t.metric, t.verdict])).toEqual([
      ['postGcHeap', 'stable'],
      ['rss', 'growing'],
    ]);
    expect(report.verdict).toBe('growing');
    expect(report.heap).toEqual(inspector);
    expect(report.trends[0]!.samples).toBe(30);
    expect(report.rss.growthBytes).toBeGreaterThan(9 * MiB);
  });

  it('a rising RSS of a V8 process that ran no full GC in the window is not judged growing (its garbage is in it)', () => {
    // 60 s: heap used and RSS rise 17 MiB together, one post-GC reading (from before the load).
    const samples = Array.from({ length: 60 }, (_, t) => ({
      t,
      rssBytes: (100 + (17 * t) / 60) * MiB,
      heapUsedBytes: (20 + (17 * t) / 60) * MiB,
      postGcHeapBytes: 19 * MiB,
    }));
    const report = analyzeMemory(samples, 'proc', {}, { subject: 'generator' });
    const rss = report.trends.find((t) => t.metric === 'rss')!;
    expect(rss.verdict).toBe('inconclusive');
    expect(rss.reason).toMatch(/no full GC ran during the judged window \(1 post-GC reading\)/);
    expect(report.verdict).toBe('inconclusive');
    // A process that reports no heap at all is judged on RSS as before.
    const bare = analyzeMemory(
      samples.map(({ t, rssBytes }) => ({ t, rssBytes })),
      'proc',
    );
    expect(bare.trends.find((t) => t.metric === 'rss')!.verdict).toBe('growing');
  });

  it('forced readings that repeat a value are each a reading', () => {
    const samples = Array.from({ length: 60 }, (_, t) => ({
      t,
      rssBytes: 100 * MiB,
      ...(t % 2 === 0 ? { postGcHeapBytes: 20 * MiB } : {}),
    }));
    const heap = analyzeMemory(samples, 'proc', {}, { heap: inspector }).trends[0]!;
    expect(heap).toMatchObject({ metric: 'postGcHeap', samples: 30, verdict: 'stable' });
  });

  it('older results (every sample repeating the last full GC) count a staircase of GCs as a few readings', () => {
    const samples = Array.from({ length: 180 }, (_, t) => ({
      t,
      rssBytes: 100 * MiB,
      postGcHeapBytes: (20 + Math.floor(t / 60)) * MiB,
    }));
    const heap = analyzeMemory(samples, 'proc').trends.find((t) => t.metric === 'postGcHeap')!;
    expect(heap).toMatchObject({ verdict: 'inconclusive', inconclusive: 'samples', samples: 3 });
    expect(heap.reason).toMatch(
      /only 3 post-GC readings \(need 8\) — run longer \(without an inspector the target reports its heap only after its own full GCs/,
    );
  });

  it('a target that reports heap figures but no post-GC reading says so', () => {
    const samples = Array.from({ length: 30 }, (_, t) => ({ t, rssBytes: 100 * MiB, heapUsedBytes: 30 * MiB }));
    const heap = analyzeMemory(samples, 'metrics-url').trends.find((t) => t.metric === 'postGcHeap')!;
    expect(heap).toMatchObject({ verdict: 'inconclusive', inconclusive: 'no-data', samples: 0 });
    expect(heap.reason).toMatch(/no full GC during the run/);
    const noted = analyzeMemory(
      samples,
      'metrics-url',
      {},
      { heap: { source: 'none', readings: 0, note: 'inspector 127.0.0.1:1 not used: refused' } },
    );
    expect(noted.trends[0]!.reason).toBe('no post-GC reading: inspector 127.0.0.1:1 not used: refused');
  });

  it('judges the load only: samples after `untilS` (drain, settle) are kept but not judged', () => {
    // 60 s flat, then the load stops and the heap drops by 4 MiB.
    const samples = Array.from({ length: 80 }, (_, t) => ({
      t,
      rssBytes: 100 * MiB,
      postGcHeapBytes: (t <= 60 ? 20 : 16) * MiB,
    }));
    const judged = analyzeMemory(samples, 'proc', {}, { heap: inspector, untilS: 60 });
    expect(judged.trends[0]).toMatchObject({ samples: 61, verdict: 'stable' });
    expect(judged.samples).toHaveLength(80);
    expect(analyzeMemory(samples, 'proc', {}, { heap: inspector }).trends[0]!.samples).toBe(80);
  });

  it('no samples: inconclusive, source none', () => {
    const report = analyzeMemory([], 'proc');
    expect(report.verdict).toBe('inconclusive');
    expect(report.source).toBe('none');
  });
});
