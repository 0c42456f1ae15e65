// One result, one verdict, one error rate: the matchers, the merge and the three
// renderers must say the same about the same result. Built the way a scenario builds it
// (Metrics → buildScenarioResult, samples → analyzeMemory), with the mix that made the
// copies disagree: a judged post-GC heap beside an RSS that could not be judged, and
// errors of a type a check excludes.
import { beforeAll, describe, expect, it } from 'vitest';
import { collectRun } from '../../src/reporters/collect.js';
import { mergeScenario } from '../../src/reporters/merge.js';
import { buildRunReport } from '../../src/reporters/report.js';
import { renderHtmlReport } from '../../src/reporters/render/html.js';
import { renderMarkdownSummary } from '../../src/reporters/render/markdown.js';
import { renderTerminalReport } from '../../src/reporters/render/terminal.js';
import {
  analyzeMemory,
  buildScenarioResult,
  createRng,
  errorRate,
  installMatchers,
  memoryVerdictText,
  Metrics,
} from '../../src/load/index.js';
import type { ScenarioResult } from '../../src/load/index.js';
import { formatPercent } from '../../src/load/format.js';
import { FIXED_META } from './fixtures/meta.js';

const MiB = 1024 * 1024;

function result(): ScenarioResult {
  const metrics = new Metrics();
  for (let i = 0; i < 2000; i++) {
    metrics.recordLatency('http.latency', 1 + (i % 50) / 10);
    metrics.completed();
  }
  for (let i = 0; i < 30; i++) metrics.error('HTTP_5XX');
  for (let i = 0; i < 10; i++) metrics.error('HTTP_4XX');
  const rng = createRng(4);
  // 60 s: a flat post-GC heap read every 6 s; an RSS too noisy to judge.
  const samples = Array.from({ length: 61 }, (_, t) => ({
    t,
    rssBytes: (150 + (rng.next() - 0.5) * 60) * MiB,
    ...(t % 6 === 0 ? { postGcHeapBytes: Math.round((20 + (rng.next() - 0.5) * 0.1) * MiB) } : {}),
  }));
  return buildScenarioResult({
    scenario: 'mixed',
    startedAt: '2025-01-01T00:00:00.000Z',
    durationS: 60,
    target: { url: 'http://127.0.0.1:1', managed: false },
    metrics,
    memory: analyzeMemory(samples, 'proc', {}, { heap: { source: 'inspector', everyS: 6, readings: 11 }, untilS: 60 }),
  });
}

beforeAll(() => installMatchers());

describe('one verdict and one error rate for one result', () => {
  it('matchers, merge and every renderer agree', () => {
    const r = result();
    expect(r.memory.trends.map((t) => [t.metric, t.verdict])).toEqual([
      ['postGcHeap', 'stable'],
      ['rss', 'inconclusive'],
    ]);
    expect(r.memory.verdict).toBe('stable');
    const verdict = memoryVerdictText(r.memory);
    expect(verdict).toMatch(/^stable \(no leak above [\d.]+ MiB\/min on post-GC heap\)$/);

    // The checks.
    expect(r).toHaveStableMemory();
    expect(r.thresholds.at(-1)).toMatchObject({ measured: 'stable', passed: true });
    expect(r.thresholds.at(-1)!.message).toContain(`: ${verdict}, allowed`);
    const rate = errorRate(r); // 40 of 2,000
    expect(rate).toBeCloseTo(0.02, 9);
    expect(() => expect(r).toHaveErrorRateBelow(0.01)).toThrow(`measured ${formatPercent(rate)}`);
    expect(r).toHaveErrorRateBelow(0.016, { exclude: ['HTTP_4XX'] }); // 30 of 2,000 = 1.5 %
    expect(r.thresholds.at(-1)).toMatchObject({ name: 'error rate (not counting HTTP_4XX) < 1.6%', measured: 0.015 });

    // Two machines of the same result: the same rule combines them.
    const merged = mergeScenario([
      { label: 'a', result: r },
      { label: 'b', result: result() },
    ]);
    expect(merged.memory.verdict).toBe('stable');
    expect(errorRate(merged)).toBeCloseTo(rate, 9);

    // Every renderer: the same verdict text and the same error rate, for one source and merged.
    for (const scenario of [r, merged]) {
      const report = buildRunReport(
        collectRun([
          {
            name: 'mixed',
            fullName: 'mixed',
            module: { moduleId: 'mixed.load.ts' },
            meta: () => ({ conduit: scenario }),
            result: () => ({ state: 'passed' }),
          },
        ]),
        FIXED_META,
      );
      expect(report.verdict.memory).toBe('stable');
      expect(report.verdict.headline).toMatch(/memory stable \(no leak above [\d.]+ MiB\/min\)/);
      for (const text of [renderTerminalReport(report), renderMarkdownSummary(report), renderHtmlReport(report)]) {
        expect(text).toContain(verdict);
        expect(text).toContain(formatPercent(rate));
        expect(text).not.toMatch(/not judged \(/);
      }
    }
  });
});
