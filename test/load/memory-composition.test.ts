import { describe, expect, it } from 'vitest';
import { analyzeMemory } from '../../src/load/memory/report.js';
import { memoryComposition } from '../../src/load/memory/composition.js';
import { GeneratorMonitor } from '../../src/load/index.js';
import type { MemorySample } from '../../src/load/result.js';

const MiB = 1024 * 1024;

/** A process whose RSS grows by `native` + `external` MiB/min while its heap stays flat. */
function samples(minutes: number, growth: { native: number; external: number; heap?: number }): MemorySample[] {
  const out: MemorySample[] = [];
  for (let t = 0; t <= minutes * 60; t += 5) {
    const m = t / 60;
    // a little noise, so the ends are medians of differing values
    const wiggle = ((t / 5) % 3) * 0.05 * MiB;
    const heapTotal = 40 * MiB + (growth.heap ?? 0) * m * MiB;
    const external = 3 * MiB + growth.external * m * MiB;
    out.push({
      t,
      rssBytes: Math.round(100 * MiB + heapTotal - 40 * MiB + external - 3 * MiB + growth.native * m * MiB + wiggle),
      heapUsedBytes: Math.round(25 * MiB + wiggle),
      heapTotalBytes: heapTotal,
      externalBytes: external,
      arrayBuffersBytes: Math.round(external / 2),
    });
  }
  return out;
}

describe('memoryComposition', () => {
  it('splits an RSS rise into V8 heap, external memory and native memory outside V8', () => {
    const c = memoryComposition(samples(10, { native: 1.5, external: 0.5 }), 0)!;
    expect(c.fromS).toBe(0);
    expect(c.toS).toBe(600);
    // Each end is the median of 5 samples (0–20 s and 580–600 s: medians at 10 s and 590 s, 9.67 min apart).
    expect(c.rssBytes / MiB).toBeCloseTo(2 * 9.67, 0);
    expect(c.externalBytes / MiB).toBeCloseTo(0.5 * 9.67, 0);
    expect(Math.abs(c.arrayBuffersBytes - c.externalBytes / 2)).toBeLessThanOrEqual(1);
    expect(Math.abs(c.heapTotalBytes)).toBe(0);
    expect(c.nativeBytes / MiB).toBeCloseTo(1.5 * 9.67, 0);
    expect(c.nativeBytes).toBe(c.rssBytes - c.heapTotalBytes - c.externalBytes);
    expect(c.startRssBytes / MiB).toBeCloseTo(100.3, 0);
  });

  it('judges only the window asked for', () => {
    const c = memoryComposition(samples(10, { native: 0, external: 0, heap: 2 }), 300, 450)!;
    expect(c.fromS).toBe(300);
    expect(c.toS).toBe(450);
    // medians at 310 s and 440 s
    expect(c.heapTotalBytes / MiB).toBeCloseTo((2 * (440 - 310)) / 60, 1);
    expect(Math.abs(c.nativeBytes / MiB)).toBeLessThan(0.1);
  });

  it('says nothing without the figures (a target sampled from /proc) or with under two samples', () => {
    expect(
      memoryComposition(
        [
          { t: 0, rssBytes: 1e8 },
          { t: 60, rssBytes: 2e8 },
        ],
        0,
      ),
    ).toBeUndefined();
    expect(memoryComposition(samples(1, { native: 1, external: 0 }).slice(0, 1), 0)).toBeUndefined();
  });

  it('goes into the memory report, over the RSS trend’s judged window', () => {
    const report = analyzeMemory(
      samples(10, { native: 3, external: 0 }),
      'proc',
      {},
      { subject: 'generator', untilS: 540 },
    );
    const rss = report.trends.find((t) => t.metric === 'rss')!;
    expect(report.composition).toBeDefined();
    expect(report.composition!.fromS).toBeGreaterThanOrEqual(rss.warmupS);
    expect(report.composition!.toS).toBeLessThanOrEqual(540);
    expect(report.composition!.nativeBytes).toBeGreaterThan(0.9 * report.composition!.rssBytes);
    // A target's /proc samples carry no figures: no composition.
    expect(
      analyzeMemory(
        samples(10, { native: 3, external: 0 }).map(({ t, rssBytes }) => ({ t, rssBytes })),
        'proc',
      ).composition,
    ).toBeUndefined();
  });
});

describe('GeneratorMonitor samples what the composition needs', () => {
  it('records committed heap, external memory and ArrayBuffers, and sees Buffers it holds as external', () => {
    const monitor = new GeneratorMonitor({ intervalMs: 60_000 }).start();
    monitor.sample();
    const held = Array.from({ length: 32 }, () => Buffer.alloc(MiB, 1));
    monitor.sample();
    const [before, after] = monitor.samples.slice(-2);
    monitor.stop();
    for (const s of [before!, after!]) {
      expect(s.heapTotalBytes).toBeGreaterThan(s.heapUsedBytes!);
      expect(s.externalBytes).toBeGreaterThanOrEqual(s.arrayBuffersBytes!);
    }
    expect((after!.arrayBuffersBytes! - before!.arrayBuffersBytes!) / MiB).toBeGreaterThanOrEqual(31);
    expect(held.length).toBe(32);
  });
});
