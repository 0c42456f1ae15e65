import { describe, expect, it } from 'vitest';
import {
  compareWithBaseline,
  DEFAULT_NOISE,
  parseResultsDocument,
  resolveNoise,
} from '../../src/reporters/baseline.js';
import { collectRun } from '../../src/reporters/collect.js';
import { buildRunReport, decideVerdict } from '../../src/reporters/report.js';
import { renderComparison } from '../../src/reporters/render/comparison.js';
import { renderResultsJson } from '../../src/reporters/render/json.js';
import { renderMarkdownSummary } from '../../src/reporters/render/markdown.js';
import { renderTerminalReport } from '../../src/reporters/render/terminal.js';
import type { ScenarioResult } from '../../src/load/result.js';
import { FIXED_META } from './fixtures/meta.js';
import { histogramOf, range, scenarioResult } from './fixtures/results.js';

function reportOf(...results: ScenarioResult[]) {
  const cases = results.map((r) => ({
    name: r.scenario,
    fullName: r.scenario,
    module: { moduleId: `test-load/${r.scenario}.load.ts` },
    meta: () => ({ conduit: r }),
    result: () => ({ state: 'passed' }),
  }));
  return buildRunReport(collectRun(cases), FIXED_META);
}

/** A results.json of a run, parsed back (what CONDUIT_LOAD_BASELINE points at). */
function baselineOf(...results: ScenarioResult[]) {
  return parseResultsDocument(renderResultsJson(reportOf(...results)));
}

describe('compareWithBaseline', () => {
  const base = baselineOf(scenarioResult({ latenciesMs: range(10, 0.1, 1000) })); // p99 ≈ 109 ms

  it('does not flag a change inside the band, and says how wide the band was', () => {
    const current = reportOf(scenarioResult({ latenciesMs: range(10.5, 0.1, 1000) })); // +0.5 ms
    const cmp = compareWithBaseline(current.scenarios, base, 'base.json');
    const p99 = cmp.deltas.find((d) => d.metric === 'http.latency p99')!;
    expect(p99.change).toBe('same');
    // Uniform values, 1,000 of them: the minimum effect (5 %) is wider than 3 standard errors here.
    expect(p99.allowed).toBeCloseTo(0.05 * p99.baseline, 6);
    expect(p99.noiseStdErr).toBeGreaterThan(0);
    expect(cmp.deltas.some((d) => d.regression)).toBe(false);
    // The uncorrected twin is not compared twice.
    expect(cmp.deltas.some((d) => d.metric.startsWith('http.latency.raw'))).toBe(false);
  });

  it('flags latency beyond its band as a regression and a drop as better', () => {
    const slower = compareWithBaseline(
      reportOf(scenarioResult({ latenciesMs: range(20, 0.1, 1000) })).scenarios,
      base,
      'b',
    );
    const p50 = slower.deltas.find((d) => d.metric === 'http.latency p50')!;
    expect(p50).toMatchObject({ change: 'worse', regression: true, unit: 'ms' });
    expect(p50.delta).toBeCloseTo(10, 0);
    const faster = compareWithBaseline(
      reportOf(scenarioResult({ latenciesMs: range(1, 0.1, 1000) })).scenarios,
      base,
      'b',
    );
    expect(faster.deltas.find((d) => d.metric === 'http.latency p50')!.change).toBe('better');
  });

  it('flags +0.4 ms on a 0.2 ms service; a wider minimum effect is an option', () => {
    const tiny = baselineOf(scenarioResult({ latenciesMs: range(0.2, 0.001, 1000) }));
    const now = reportOf(scenarioResult({ latenciesMs: range(0.6, 0.001, 1000) })).scenarios; // +0.4 ms: +200%
    expect(compareWithBaseline(now, tiny, 'b').deltas.find((d) => d.metric === 'http.latency p50')!.regression).toBe(
      true,
    );
    const loose = resolveNoise({ latency: { relative: 0.05, absolute: 1 } });
    expect(compareWithBaseline(now, tiny, 'b', loose).deltas.find((d) => d.metric === 'http.latency p50')!.change).toBe(
      'same',
    );
  });

  it("widens the band by the run's own slice-to-slice noise", () => {
    // The same +10 % on p95, once from a run whose per-slice p95 wobbles ±30 %, once from a steady one.
    const withSlices = (latenciesMs: number[], wobble: number) => {
      const r = scenarioResult({ latenciesMs });
      const p95 = r.histograms['http.latency']!.summary.p95;
      const slice = (i: number) => p95 * (1 + wobble * (i % 2 === 0 ? 1 : -1));
      r.batches = {
        widthS: 1,
        t: range(1, 1, 10),
        latency: {
          'http.latency': {
            count: Array(10).fill(100),
            p50: Array(10).fill(10),
            p95: range(0, 1, 10).map(slice),
            p99: Array(10).fill(p95),
          },
        },
        counts: {},
      };
      return r;
    };
    const steadyBase = baselineOf(withSlices(range(10, 0.1, 1000), 0.01));
    const noisyBase = baselineOf(withSlices(range(10, 0.1, 1000), 0.3));
    const later = range(10, 0.1, 1000).map((v) => v * 1.1);
    const steady = compareWithBaseline(reportOf(withSlices(later, 0.01)).scenarios, steadyBase, 'b').deltas.find(
      (d) => d.metric === 'http.latency p95',
    )!;
    const noisy = compareWithBaseline(reportOf(withSlices(later, 0.3)).scenarios, noisyBase, 'b').deltas.find(
      (d) => d.metric === 'http.latency p95',
    )!;
    expect(steady.regression).toBe(true);
    expect(noisy.regression).toBe(false);
    expect(noisy.allowed).toBeGreaterThan(steady.allowed * 3);
  });

  it('flags lower throughput and higher error rate; lists scenarios missing from the baseline', () => {
    const worse = scenarioResult({ failing: true, growing: true });
    worse.throughput.requestsPerS = base.scenarios[0]!.throughput.requestsPerS! * 0.5;
    worse.errors.TIMEOUT = 200;
    const cmp = compareWithBaseline(reportOf(worse, scenarioResult({ scenario: 'ws' })).scenarios, base, 'b');
    const byMetric = Object.fromEntries(cmp.deltas.map((d) => [d.metric, d]));
    expect(byMetric['throughput requestsPerS']!.regression).toBe(true);
    expect(byMetric['error rate']!.regression).toBe(true);
    // The post-GC heap went from flat to +4 MiB/min, both slopes measured to ±0.02.
    expect(byMetric['memory slope (postGcHeap)']).toMatchObject({ regression: true });
    expect(byMetric['memory slope (postGcHeap)']!.current).toBeCloseTo(4, 2);
    expect(Math.abs(byMetric['memory slope (postGcHeap)']!.baseline)).toBeLessThan(0.01);
    expect(cmp.missing).toEqual(['ws']);
  });

  it('a partial noise override changes only what it names; the rest keeps its defaults', () => {
    const noise = resolveNoise({ latency: { relative: 0.5 }, z: 5 });
    expect(noise.latency).toEqual({ relative: 0.5, absolute: DEFAULT_NOISE.latency.absolute });
    expect(noise.z).toBe(5);
    expect(noise.throughput).toEqual(DEFAULT_NOISE.throughput);
    expect(noise.errorRate).toEqual(DEFAULT_NOISE.errorRate);
    expect(noise.memorySlope).toEqual(DEFAULT_NOISE.memorySlope);
  });

  it('a zero baseline: 0 → 0 is the same (relative 0, never NaN); 0 → errors is a regression by the absolute band', () => {
    const clean = scenarioResult();
    clean.errors = {};
    const zeroBase = baselineOf(clean);
    const same = compareWithBaseline(reportOf(clean).scenarios, zeroBase, 'b').deltas.find(
      (d) => d.metric === 'error rate',
    )!;
    expect(same).toMatchObject({ baseline: 0, current: 0, delta: 0, relative: 0, regression: false });
    const failing = scenarioResult();
    failing.errors = { TIMEOUT: 200 };
    const worse = compareWithBaseline(reportOf(failing).scenarios, zeroBase, 'b').deltas.find(
      (d) => d.metric === 'error rate',
    )!;
    expect(worse).toMatchObject({ baseline: 0, regression: true, change: 'worse' });
    expect(Number.isFinite(worse.relative)).toBe(true);
  });

  it('never compares a duration-dependent figure as a rate (a 5 s run against a 15 s one)', () => {
    const short = scenarioResult({ durationS: 5 });
    short.throughput.connectionsPerS = 100 / 5;
    const long = scenarioResult({ durationS: 15 });
    long.throughput.connectionsPerS = 100 / 15;
    const cmp = compareWithBaseline(reportOf(long).scenarios, baselineOf(short), 'b');
    expect(cmp.deltas.map((d) => d.metric)).not.toContain('throughput connectionsPerS');
    expect(cmp.deltas.length).toBeGreaterThan(0);
  });

  it('does not compare a histogram recorded in a burst (fewer than 5 slices), and says why', () => {
    const sliced = (latenciesMs: number[]) => {
      const r = scenarioResult({ latenciesMs });
      r.histograms['ws.connect'] = histogramOf(range(150, 2, 100));
      const ten = (v: number) => Array(10).fill(v);
      r.batches = {
        widthS: 6,
        t: range(6, 6, 10),
        latency: {
          'http.latency': { count: ten(100), p50: ten(50), p95: ten(95), p99: ten(99) },
          'ws.connect': {
            count: [100, ...Array(9).fill(0)],
            p50: [250, ...Array(9).fill(0)],
            p95: [340, ...Array(9).fill(0)],
            p99: [348, ...Array(9).fill(0)],
          },
        },
        counts: { requests: ten(100) },
      };
      return r;
    };
    const cmp = compareWithBaseline(
      reportOf(sliced(range(0.5, 0.1, 1000))).scenarios,
      baselineOf(sliced(range(0.5, 0.1, 1000))),
      'b',
    );
    expect(cmp.deltas.some((d) => d.metric.startsWith('ws.connect'))).toBe(false);
    expect(cmp.deltas.some((d) => d.metric.startsWith('http.latency'))).toBe(true);
    expect(cmp.skipped).toEqual([
      {
        scenario: 'uploads',
        metric: 'ws.connect',
        why: 'recorded within 1 time slice of the run: no run-to-run noise to judge it by',
      },
    ]);
  });

  it('does not compare a scenario run with other knobs, and says which', () => {
    const other = scenarioResult();
    other.config = { ...other.config, clients: 50, durationS: 99 };
    const cmp = compareWithBaseline(reportOf(other).scenarios, base, 'b');
    expect(cmp.deltas).toEqual([]);
    expect(cmp.skipped).toEqual([{ scenario: 'uploads', why: 'other knobs than the baseline: clients 4 → 50' }]);
    const report = buildRunReport(collectRun([]), FIXED_META, { comparison: cmp });
    expect(report.verdict.headline).toMatch(/baseline not compared \(other knobs in uploads\)/);
  });

  it('says when a run shared its machine with other work, in the comparison and every renderer', () => {
    const machine = (otherCores: number) => ({
      cores: 2,
      generatorCores: 0.1,
      targetCores: 0.9,
      otherCores,
      irqCores: 0.05,
      busiestCores: 1.9,
      limit: 'machine' as const,
      summary: '',
    });
    const quiet = scenarioResult({ latenciesMs: range(10, 0.1, 1000) });
    quiet.generator = { ...quiet.generator, machine: machine(0.1) };
    const shared = scenarioResult({ latenciesMs: range(10, 0.1, 1000) });
    shared.generator = { ...shared.generator, machine: machine(0.67) };
    expect(compareWithBaseline(reportOf(quiet).scenarios, baselineOf(quiet), 'b').cautions).toBeUndefined();
    const cmp = compareWithBaseline(reportOf(quiet).scenarios, baselineOf(shared), 'b');
    expect(cmp.cautions).toEqual([
      {
        scenario: 'uploads',
        why: 'the baseline run (other processes 0.67 cores) shared the machine with other work: every band ×2',
      },
    ]);
    expect(cmp.deltas.length).toBeGreaterThan(0); // still compared
    // A change just beyond its band is flagged when both runs had the machine to themselves,
    // not when one shared it (its band is twice as wide); a large one is flagged either way.
    const p50 = (r: ScenarioResult, b: ReturnType<typeof baselineOf>) =>
      compareWithBaseline(reportOf(r).scenarios, b, 'b').deltas.find((d) => d.metric === 'http.latency p50')!;
    const slower = (ms: number) => {
      const r = scenarioResult({ latenciesMs: range(10 + ms, 0.1, 1000) });
      r.generator = { ...r.generator, machine: machine(0.1) };
      return r;
    };
    const quietBand = p50(slower(0), baselineOf(quiet)).allowed;
    expect(p50(slower(0), baselineOf(shared)).allowed).toBeCloseTo(2 * quietBand, 6);
    const justBeyond = slower(1.5 * quietBand);
    expect(p50(justBeyond, baselineOf(quiet)).regression).toBe(true);
    expect(p50(justBeyond, baselineOf(shared)).regression).toBe(false);
    expect(p50(slower(3 * quietBand), baselineOf(shared)).regression).toBe(true);
    const report = buildRunReport(collectRun([]), FIXED_META, { comparison: cmp });
    expect(renderComparison(cmp, 't')).toContain(
      '⚠ uploads: the baseline run (other processes 0.67 cores) shared the machine',
    );
    expect(renderMarkdownSummary(report)).toContain(
      'uploads: the baseline run (other processes 0.67 cores) shared the machine',
    );
    expect(renderTerminalReport(report)).toContain(
      'uploads: the baseline run (other processes 0.67 cores) shared the machine',
    );
  });
});

describe('parseResultsDocument', () => {
  it('says what is wrong with a file that is not a results.json', () => {
    expect(() => parseResultsDocument('{nope')).toThrow(/not JSON/);
    expect(() => parseResultsDocument('[]')).toThrow(/not a JSON object/);
    expect(() => parseResultsDocument('{"scenarios":[]}')).toThrow(/schema is undefined/);
    expect(() => parseResultsDocument('{"schema":"conduit.results/0","scenarios":[]}')).toThrow(
      /expected "conduit.results\/1" \(a Conduit results.json\)/,
    );
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
    const run = collectRun([
      {
        name: 'uploads',
        fullName: 'uploads',
        module: { moduleId: 'u.load.ts' },
        meta: () => ({ conduit: scenarioResult({ latenciesMs: range(30, 0.2, 1000) }) }),
        result: () => ({ state: 'passed' }),
      },
    ]);
    const cmp = compareWithBaseline(run.scenarios, base, 'b');
    // p50, p95 and p99 of http.latency (its .raw twin is not compared again).
    expect(decideVerdict(run, cmp)).toMatchObject({ passed: true, regressions: 3 });
    expect(decideVerdict(run, cmp, { failOnRegression: true })).toMatchObject({ passed: false, regressions: 3 });
  });
});
