import { describe, expect, it } from 'vitest';
import { compareWithBaseline, parseResultsDocument } from '../../src/reporters/baseline.js';
import { collectRun } from '../../src/reporters/collect.js';
import { buildRunReport } from '../../src/reporters/report.js';
import { renderHtmlReport, trendLinePoints } from '../../src/reporters/render/html.js';
import { renderResultsJson } from '../../src/reporters/render/json.js';
import { renderMarkdownSummary } from '../../src/reporters/render/markdown.js';
import { renderMemoryXyChart } from '../../src/reporters/render/mermaid.js';
import { renderLineChart } from '../../src/reporters/render/svg.js';
import {
  renderPercentileTable,
  renderProgressLine,
  renderTerminalReport,
} from '../../src/reporters/render/terminal.js';
import type { ScenarioResult } from '../../src/load/result.js';
import { FIXED_META } from './fixtures/meta.js';
import { failureMessage, histogramOf, range, scenarioResult } from './fixtures/results.js';

function reportOf(
  entries: Array<{ result: ScenarioResult; state?: string; message?: string }>,
  baselineFrom?: ScenarioResult[],
) {
  const cases = entries.map(({ result, state = 'passed', message }) => ({
    name: result.scenario,
    fullName: result.scenario,
    module: { moduleId: `test-load/${result.scenario}.load.ts` },
    meta: () => ({ conduit: result }),
    result: () => ({ state, errors: message ? [{ message }] : [] }),
  }));
  const run = collectRun(cases);
  if (!baselineFrom) return buildRunReport(run, FIXED_META);
  const base = parseResultsDocument(renderResultsJson(reportOf(baselineFrom.map((result) => ({ result })))));
  return buildRunReport(run, FIXED_META, {
    comparison: compareWithBaseline(run.scenarios, base, 'reports/baseline/results.json'),
  });
}

const passing = () =>
  reportOf([
    { result: scenarioResult() },
    { result: scenarioResult({ scenario: 'ws', latenciesMs: range(2, 0.05, 400) }) },
  ]);
const failing = () => {
  const result = scenarioResult({ failing: true, growing: true, saturated: true, latenciesMs: range(20, 0.2, 1000) });
  return reportOf([{ result, state: 'failed', message: `${failureMessage(result)}\n  at x` }], [scenarioResult()]);
};

describe('terminal renderer', () => {
  it('prints the percentile table with corrected and raw histograms', () => {
    expect(renderPercentileTable(scenarioResult())).toMatchInlineSnapshot(`
      "  histogram                            unit  count   p50   p90   p95   p99  p99.9   max  mean
        http.latency (CO-corrected)          ms    1,000  50.4  90.4  95.4  99.5    100   100  50.5
        http.latency.raw (raw, uncorrected)  ms    1,000  40.4  72.4  76.4  79.6   80.3  80.4  40.4"
    `);
  });

  it('renders a passing run', () => {
    expect(renderTerminalReport(passing())).toMatchSnapshot();
  });

  it('renders a failing run with saturation, memory growth and baseline regressions', () => {
    const text = renderTerminalReport(failing());
    expect(text).toContain('⚠ load generator saturated');
    expect(text).toContain('✗ error rate');
    expect(text).toMatch(/❌ Load run failed: .*regressions? vs baseline/);
    expect(text).toMatchSnapshot();
  });

  it('says which clock timed the WebSocket delivery latency', () => {
    const ws = scenarioResult({ scenario: 'ws' });
    ws.histograms['ws.delivery'] = histogramOf(range(0.2, 0.01, 90));
    ws.histograms['ws.delivery.enqueuedAt'] = histogramOf(range(1, 0, 10));
    const report = reportOf([{ result: ws }]);
    const note =
      /delivery latency: 90 timed from the generator's own send of the enqueue \(ws\.delivery, µs clock\); 10 from the gateway's enqueuedAt stamp/;
    expect(renderTerminalReport(report)).toMatch(note);
    expect(renderTerminalReport(report)).toContain('ws.delivery.enqueuedAt (1 ms resolution)');
    expect(renderMarkdownSummary(report)).toMatch(/Delivery latency: 90 timed from the generator's own send/);
    expect(renderHtmlReport(report)).toMatch(/delivery latency: 90 timed from the generator&#39;s own send/);
    expect(renderTerminalReport(passing())).not.toContain('delivery latency:');
  });

  it('formats check figures consistently: ratios as percentages, rates and units after the number', () => {
    const result = scenarioResult({ scenario: 'ws' });
    result.thresholds = [
      {
        name: 'connection success ≥ 95%',
        measured: 1,
        allowed: 0.95,
        unit: 'ratio',
        comparator: '≥',
        passed: true,
        message: '',
      },
      {
        name: 'error rate < 5%',
        measured: 0.00012,
        allowed: 0.05,
        unit: 'ratio',
        comparator: '<',
        passed: true,
        message: '',
      },
      {
        name: 'messagesPerS ≥ 5 msg/s',
        measured: 220.4,
        allowed: 5,
        unit: 'msg/s',
        comparator: '≥',
        passed: true,
        message: '',
      },
      {
        name: 'RSS growth < 200 MiB',
        measured: 3.25,
        allowed: 200,
        unit: 'MiB',
        comparator: '<',
        passed: true,
        message: '',
      },
      {
        name: 'post-GC heap growth < 10% of its level',
        measured: 'not judged',
        allowed: '10% of its level',
        passed: true,
        message: '',
      },
      { name: 'legacy', measured: 3, allowed: 5, unit: 'requestsPerS', passed: true, message: '' },
    ];
    const text = renderTerminalReport(reportOf([{ result }]));
    expect(text).toContain('✓ connection success ≥ 95%: 100% (allowed ≥ 95%)');
    expect(text).toContain('✓ error rate < 5%: 0.012% (allowed < 5%)');
    expect(text).toContain('✓ messagesPerS ≥ 5 msg/s: 220 msg/s (allowed ≥ 5 msg/s)');
    expect(text).toContain('✓ RSS growth < 200 MiB: 3.25 MiB (allowed < 200 MiB)');
    expect(text).toContain('✓ post-GC heap growth < 10% of its level: not judged (allowed 10% of its level)');
    expect(text).toContain('✓ legacy: 3 req/s (allowed 5 req/s)');
    expect(text).not.toMatch(/\bratio\b|\d %/);
    const md = renderMarkdownSummary(reportOf([{ result }]));
    expect(md).toMatch(/\| connection success ≥ 95% +\| +100% \| +≥ 95% \|/);
  });

  it('renders progress lines', () => {
    expect(renderProgressLine('soak', '30 s · 1,204 req · p99 12 ms')).toBe('  ⏳ soak: 30 s · 1,204 req · p99 12 ms');
  });
});

describe('markdown renderer', () => {
  it('puts the verdict first and renders tables, the memory chart and follow-ups', () => {
    const md = renderMarkdownSummary(failing());
    expect(md.split('\n')[0]).toMatch(/^# ❌ Load run failed: /);
    expect(md).toContain('```mermaid\nxychart-beta');
    expect(md).toContain('## Baseline');
    expect(md).toContain('🔺 regression');
    expect(md).toContain('## Follow-ups');
    expect(md).toMatchSnapshot();
  });

  it('renders a passing summary', () => {
    const md = renderMarkdownSummary(passing());
    expect(md.split('\n')[0]).toBe(
      '# ✅ Load run passed: 2 scenarios, 4/4 checks passed, memory stable (no leak above 3.0 MiB/min)',
    );
    expect(md).not.toContain('## Follow-ups');
    expect(md).toMatchSnapshot();
  });

  it('downsamples the mermaid chart to at most 40 points; RSS, post-GC heap and the fitted trend, slope in the title', () => {
    const chart = renderMemoryXyChart('m', scenarioResult({ durationS: 100, growing: true }).memory)!;
    const xs = /x-axis "seconds" \[(.*)\]/.exec(chart)![1]!.split(', ');
    expect(xs).toHaveLength(40);
    expect(xs[0]).toBe('0');
    expect(xs.at(-1)).toBe('100');
    expect(chart.match(/^ {4}line \[/gm)).toHaveLength(3);
    expect(chart).toMatch(/title "m — post-GC heap \+4\.00 MiB\/min, growing"/);
  });

  it('puts an overview table under the verdict; a baseline with none of the scenarios says so', () => {
    const md = renderMarkdownSummary(passing());
    const lines = md.split('\n');
    expect(lines[4]).toMatch(
      /^\| +\| scenario +\| +checks \| +latency p50 \/ p99 \| throughput +\| error rate \| memory +\|$/,
    );
    expect(md).toMatch(
      /\| +✅ +\| uploads +\| 2\/2 passed \| http\.latency 50\.4 \/ 99\.5 ms \| 0\.163 MiB\/s · 16\.7 req\/s +\| +0\.2% \| stable \(no leak above 3\.0 MiB\/min on post-GC heap\) \|/,
    );
    const other = scenarioResult({ scenario: 'soak' });
    const base = parseResultsDocument(renderResultsJson(reportOf([{ result: other }])));
    const run = collectRun([
      {
        name: 'uploads',
        fullName: 'uploads',
        module: { moduleId: 'test-load/uploads.load.ts' },
        meta: () => ({ conduit: scenarioResult() }),
        result: () => ({ state: 'passed', errors: [] }),
      },
    ]);
    const report = buildRunReport(run, FIXED_META, {
      comparison: compareWithBaseline(run.scenarios, base, 'old.json'),
    });
    expect(report.verdict.headline).toContain('baseline not compared (it has none of these scenarios)');
    const summary = renderMarkdownSummary(report);
    expect(summary).toContain('## Baseline\n\n⚠️ Against `old.json`: nothing compared. Not in the baseline: uploads.');
    expect(summary).not.toContain('| noise band |');
  });

  it('labels short-run chart points in tenths of a second instead of repeating a whole second', () => {
    const memory = {
      ...scenarioResult().memory,
      samples: [0, 0.4, 1.2, 1.6, 2.5].map((t) => ({ t, rssBytes: 100 * 1024 * 1024 })),
    };
    expect(renderMemoryXyChart('m', memory)).toContain('x-axis "seconds" [0.0, 0.4, 1.2, 1.6, 2.5]');
  });

  it('a memory trend that was not judged says so, with no fitted line drawn from a made-up slope', () => {
    const result = scenarioResult();
    result.memory = {
      ...result.memory,
      verdict: 'inconclusive',
      trends: [
        {
          metric: 'postGcHeap',
          verdict: 'inconclusive',
          inconclusive: 'samples',
          fitted: false,
          slopeMBPerMin: 0,
          projectedMBPerHour: 0,
          pValue: 1,
          samples: 1,
          warmupS: 0,
          reason: 'only 1 post-GC reading (need 8)',
        },
      ],
    };
    const report = reportOf([{ result }]);
    const md = renderMarkdownSummary(report);
    expect(md.split('\n')[0]).toBe(
      '# ✅ Load run passed: 1 scenario, 2/2 checks passed, memory trend not judged (too few readings for a trend verdict)',
    );
    expect(md).toContain('❔ **not judged (too few readings for a trend verdict)**');
    expect(md).toContain('- post-GC heap: not judged — only 1 post-GC reading (need 8)');
    expect(md).not.toMatch(/0\.00 MiB\/min/);
    expect(renderMemoryXyChart('m', result.memory)!.match(/^ {4}line \[/gm)).toHaveLength(2);
    expect(renderTerminalReport(report)).toContain(
      'memory: ? not judged (too few readings for a trend verdict) (proc; RSS 120 MiB–121 MiB (first → last 0 B, warm-up included))',
    );
    expect(trendLinePoints(result.memory)).toBeUndefined();
  });
});

describe('what grows', () => {
  it('lists the allocation sites that retained the growth when memory grows, in every renderer', () => {
    const result = scenarioResult({ growing: true });
    result.memory.growth = {
      fromS: 12,
      toS: 60,
      sampledGrowthBytes: 4.1 * 1024 * 1024,
      sites: [
        {
          site: 'leakTick (bench/fixtures/heap-leak.mjs:19:5)',
          via: 'push',
          bytes: 4.5 * 1024 * 1024,
          growthBytes: 4 * 1024 * 1024,
        },
      ],
    };
    const report = reportOf([{ result }]);
    const line = '+4 MiB leakTick (bench/fixtures/heap-leak.mjs:19:5) via push';
    expect(renderTerminalReport(report)).toContain(`what grows — allocation sites retaining more at 60 s than at 12 s`);
    expect(renderTerminalReport(report)).toContain(`      ${line}`);
    expect(renderMarkdownSummary(report)).toContain(`  - \`${line}\``);
    expect(renderHtmlReport(report)).toContain(`<li><code>${line}</code></li>`);
    // A stable run does not list them.
    const stable = scenarioResult();
    stable.memory.growth = result.memory.growth;
    expect(renderTerminalReport(reportOf([{ result: stable }]))).not.toContain('what grows');
  });
});

describe('HTML renderer', () => {
  it('is one self-contained file: no scripts, no external resources', () => {
    const html = renderHtmlReport(failing());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|\shref=|@import|url\(/i);
    expect(html.match(/<svg /g)!.length).toBe(3); // latency, throughput, memory
    expect(html).toContain('❌ Load run failed');
    expect(html).toMatchSnapshot();
  });

  it('escapes text from results', () => {
    const result = scenarioResult({ scenario: '<img src=x onerror=alert(1)>' });
    expect(renderHtmlReport(reportOf([{ result }]))).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('draws the fitted trend line the verdict recorded', () => {
    const memory = scenarioResult({ growing: true }).memory;
    const line = trendLinePoints(memory)!;
    const [[x0, y0], [x1, y1]] = line.points;
    const trend = memory.trends.find((t) => t.metric === 'postGcHeap')!;
    expect([x0, y0, x1, y1]).toEqual([trend.line!.fromS, trend.line!.fromMB, trend.line!.toS, trend.line!.toMB]);
    expect((y1! - y0!) / (x1! - x0!)).toBeCloseTo(4 / 60, 3); // post-GC heap +4 MiB/min
    expect(line.name).toBe('post-GC heap trend +4.00 MiB/min (growing)');
  });

  it('renders an empty chart without failing', () => {
    expect(renderLineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [] })).toContain('no data');
  });
});
