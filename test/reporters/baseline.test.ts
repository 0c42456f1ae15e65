import { describe, expect, it } from 'vitest';
import { compareWithBaseline, parseResultsDocument, resolveNoise } from '../../reporters/baseline.js';
import { collectRun } from '../../reporters/collect.js';
import { buildRunReport, decideVerdict } from '../../reporters/report.js';
import { renderResultsJson } from '../../reporters/render/json.js';
import type { ScenarioResult } from '../../src/load/result.js';
import { FIXED_META } from './fixtures/meta.js';
import { range, scenarioResult } from './fixtures/results.js';

function reportOf(...results: ScenarioResult[]) {
  const cases = results.map((r) => ({
    name: r.scenario, fullName: r.scenario, module: { moduleId: `test-load/${r.scenario}.load.ts` },
    meta: () => ({ conduit: r }), result: () => ({ state: 'passed' }),
  }));
  return buildRunReport(collectRun(cases), FIXED_META);
}

/** A results.json of a run, parsed back (what CONDUIT_LOAD_BASELINE points at). */
function baselineOf(...results: ScenarioResult[]) {
  return parseResultsDocument(renderResultsJson(reportOf(...results)));
}

describe('compareWithBaseline', () => {
  const base = baselineOf(scenarioResult({ latenciesMs: range(10, 0.1, 1000) })); // p99 ≈ 109 ms

  it('does not flag a change inside the noise band', () => {
    const current = reportOf(scenarioResult({ latenciesMs: range(10.5, 0.1, 1000) })); // +0.5 ms
    const cmp = compareWithBaseline(current.scenarios, base, 'base.json');
    const p99 = cmp.deltas.find((d) => d.metric === 'http.latency p99')!;
    expect(p99.change).toBe('same');
    expect(p99.allowed).toBeCloseTo(0.1 * p99.baseline, 6); // 10% beats the 1 ms floor here
    expect(cmp.deltas.some((d) => d.regression)).toBe(false);
  });

  it('flags latency beyond max(10%, 1 ms) as a regression and a drop as better', () => {
    const slower = compareWithBaseline(reportOf(scenarioResult({ latenciesMs: range(20, 0.1, 1000) })).scenarios, base, 'b');
    const p50 = slower.deltas.find((d) => d.metric === 'http.latency p50')!;
    expect(p50).toMatchObject({ change: 'worse', regression: true, unit: 'ms' });
    expect(p50.delta).toBeCloseTo(10, 0);
    const faster = compareWithBaseline(reportOf(scenarioResult({ latenciesMs: range(1, 0.1, 1000) })).scenarios, base, 'b');
    expect(faster.deltas.find((d) => d.metric === 'http.latency p50')!.change).toBe('better');
  });

  it('uses the absolute floor for tiny latencies, tunable by option', () => {
    const tiny = baselineOf(scenarioResult({ latenciesMs: range(0.2, 0.001, 1000) }));
    const now = reportOf(scenarioResult({ latenciesMs: range(0.6, 0.001, 1000) })).scenarios; // +0.4 ms: +200%
    expect(compareWithBaseline(now, tiny, 'b').deltas.find((d) => d.metric === 'http.latency p50')!.change).toBe('same');
    const strict = resolveNoise({ latency: { relative: 0.1, absolute: 0.1 } });
    expect(compareWithBaseline(now, tiny, 'b', strict).deltas.find((d) => d.metric === 'http.latency p50')!.regression).toBe(true);
  });

  it('flags lower throughput and higher error rate and memory slope; lists scenarios missing from the baseline', () => {
    const worse = scenarioResult({ failing: true, growing: true });
    worse.throughput.requestsPerS = base.scenarios[0]!.throughput.requestsPerS! * 0.5;
    worse.errors.TIMEOUT = 200;
    const cmp = compareWithBaseline(reportOf(worse, scenarioResult({ scenario: 'ws' })).scenarios, base, 'b');
    const byMetric = Object.fromEntries(cmp.deltas.map((d) => [d.metric, d]));
    expect(byMetric['throughput requestsPerS']!.regression).toBe(true);
    expect(byMetric['error rate']!.regression).toBe(true);
    expect(byMetric['memory slope (postGcHeap)']).toMatchObject({ baseline: 0.01, current: 0.5, regression: false });
    expect(cmp.missing).toEqual(['ws']);
  });
});

describe('parseResultsDocument', () => {
  it('says what is wrong with a file that is not a results.json', () => {
    expect(() => parseResultsDocument('{nope')).toThrow(/not JSON/);
    expect(() => parseResultsDocument('[]')).toThrow(/schema is undefined/);
    expect(() => parseResultsDocument('{"schema":"conduit.results/0","scenarios":[]}')).toThrow(/expected "conduit.results\/1"/);
    expect(() => parseResultsDocument('{"schema":"conduit.results/1","scenarios":[{}]}')).toThrow(/lacks/);
  });

  it('round-trips a rendered results.json, encoded histograms included', () => {
    const doc = baselineOf(scenarioResult());
    expect(doc.schema).toBe('conduit.results/1');
    expect(doc.meta).toEqual(FIXED_META);
    expect(doc.scenarios[0]!.histograms['http.latency']!.encoded.length).toBeGreaterThan(20);
    expect(doc.verdict.passed).toBe(true);
  });
});

describe('failOnRegression', () => {
  it('turns regressions into a failed verdict only when asked', () => {
    const base = baselineOf(scenarioResult());
    const run = collectRun([{
      name: 'uploads', fullName: 'uploads', module: { moduleId: 'u.load.ts' },
      meta: () => ({ conduit: scenarioResult({ latenciesMs: range(30, 0.2, 1000) }) }), result: () => ({ state: 'passed' }),
    }]);
    const cmp = compareWithBaseline(run.scenarios, base, 'b');
    expect(decideVerdict(run, cmp)).toMatchObject({ passed: true, regressions: 6 });
    expect(decideVerdict(run, cmp, { failOnRegression: true })).toMatchObject({ passed: false, regressions: 6 });
  });
});
