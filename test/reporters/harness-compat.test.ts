// The reporters read what the harness really produces: a ScenarioResult built by
// src/load (Metrics → buildScenarioResult → publishResult) renders and merges.
import { describe, expect, it } from 'vitest';
import { collectRun } from '../../src/reporters/collect.js';
import { buildRunReport } from '../../src/reporters/report.js';
import { renderMarkdownSummary } from '../../src/reporters/render/markdown.js';
import { renderTerminalReport } from '../../src/reporters/render/terminal.js';
import { buildScenarioResult, Metrics, publishResult } from '../../src/load/index.js';
import { FIXED_META } from './fixtures/meta.js';

function harnessResult(offsetMs: number) {
  let clock = 0;
  const metrics = new Metrics({ now: () => clock });
  for (let i = 1; i <= 200; i++) {
    const end = metrics.begin();
    metrics.recordLatency('http.latency', offsetMs + i);
    metrics.status(i % 50 === 0 ? 503 : 201);
    if (i % 100 === 0) metrics.error('HTTP_5XX');
    metrics.completed();
    metrics.bytes(1024);
    clock += 10;
    end();
    if (i % 100 === 0) metrics.rollInterval();
  }
  const task = { meta: {} };
  publishResult(
    task,
    buildScenarioResult({
      scenario: 'uploads',
      startedAt: '2025-01-01T00:00:00.000Z',
      durationS: 2,
      target: { url: 'http://127.0.0.1:1', managed: false },
      metrics,
    }),
  );
  return task.meta;
}

describe('reporters on harness output', () => {
  it('collects, merges and renders results built by src/load', () => {
    const cases = [0, 1000].map((offset) => ({
      name: 'uploads',
      fullName: 'uploads',
      module: { moduleId: 'test-load/uploads.load.ts' },
      meta: () => harnessResult(offset),
      result: () => ({ state: 'passed' }),
    }));
    const report = buildRunReport(collectRun(cases), FIXED_META);
    const scenario = report.scenarios[0]!;
    expect(scenario.histograms['http.latency']!.summary.count).toBe(400);
    expect(scenario.histograms['http.latency']!.summary.p50).toBeCloseTo(200, 0);
    expect(scenario.counters.requests).toBe(400);
    expect(scenario.errors).toEqual({ HTTP_5XX: 4 });
    expect(scenario.series).toHaveLength(2);
    expect(renderTerminalReport(report)).toContain('error rate 1%');
    expect(renderMarkdownSummary(report)).toContain('Memory not measured');
  });
});
