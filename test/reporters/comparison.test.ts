import { describe, expect, it } from 'vitest';
import type { MetricDelta } from '../../src/reporters/model.js';
import {
  bandRatio,
  calibrate,
  deltaKind,
  renderCalibration,
  renderComparison,
} from '../../src/reporters/render/comparison.js';
import { parseArgs } from '../../scripts/load-aa.js';

const delta = (metric: string, d: number, allowed: number, over: Partial<MetricDelta> = {}): MetricDelta => ({
  scenario: 'ws',
  metric,
  unit: metric.startsWith('throughput') ? 'requestsPerS' : 'ms',
  baseline: 10,
  current: 10 + d,
  delta: d,
  relative: d / 10,
  allowed,
  change: Math.abs(d) > allowed ? (d > 0 === !metric.startsWith('throughput') ? 'worse' : 'better') : 'same',
  regression: Math.abs(d) > allowed && d > 0 === !metric.startsWith('throughput'),
  ...over,
});

describe('A/A calibration view', () => {
  it('classifies figures and measures how close each came to its band', () => {
    expect(deltaKind(delta('http.latency p99', 1, 1))).toBe('latency');
    expect(deltaKind(delta('throughput requestsPerS', 1, 1))).toBe('throughput');
    expect(deltaKind({ metric: 'error rate', unit: 'ratio' })).toBe('errorRate');
    expect(deltaKind({ metric: 'memory slope (rss)', unit: 'MiB/min' })).toBe('memorySlope');
    expect(bandRatio({ delta: -3, allowed: 2 })).toBe(1.5);
    expect(bandRatio({ delta: 0, allowed: 0 })).toBe(0);
  });

  it('says per kind what was flagged and the minimum effect that would have kept the pair quiet', () => {
    const deltas = [
      delta('http.latency p50', 0.5, 1),
      delta('http.latency p99', 3, 1),
      delta('throughput requestsPerS', -0.2, 1),
    ];
    const kinds = calibrate(deltas);
    expect(kinds).toEqual([
      { kind: 'latency', figures: 2, flagged: 1, worstRatio: 3, worstRelative: 0.3 },
      { kind: 'throughput', figures: 1, flagged: 0, worstRatio: 0.2, worstRelative: 0.02 },
    ]);
    const text = renderCalibration(kinds, 1, 1);
    expect(text).toMatch(/^A\/A: 1 of 1 pair flagged a regression/);
    expect(text).toContain('noise: { latency: { relative: 0.33 } }');
    const table = renderComparison(
      {
        source: 'a.json',
        deltas,
        missing: ['soak'],
        skipped: [{ scenario: 'ws', metric: 'ws.connect', why: 'burst' }],
      },
      'b.json against a.json',
    );
    expect(table).toMatch(/🔺 +ws +http\.latency p99 +10 ms +13 ms +\+3 ms \(\+30%\) +± 1 ms +3$/m);
    expect(table).toContain('⚠ ws ws.connect not compared: burst');
    expect(table).toContain('⚠ not in the baseline: soak');
    expect(table).toContain('1 flagged: 3 figures compared');
  });

  it('load:aa rejects bad arguments with the reason', () => {
    expect(parseArgs([])).toEqual({ runs: 2, script: 'load', env: {} });
    expect(parseArgs(['--runs', '3', '--script', 'load:ws', '--env', 'CONDUIT_LOAD_DURATION_S=20'])).toEqual({
      runs: 3,
      script: 'load:ws',
      env: { CONDUIT_LOAD_DURATION_S: '20' },
    });
    expect(() => parseArgs(['--runs', '1'])).toThrow(/--runs must be an integer from 2 to 20/);
    expect(() => parseArgs(['--runs', 'x'])).toThrow(/--runs/);
    expect(() => parseArgs(['--script', 'load; rm -rf /'])).toThrow(/not an npm script name/);
    expect(() => parseArgs(['--env', 'lower=1'])).toThrow(/unknown or incomplete argument "--env"/);
    expect(() => parseArgs(['--frobnicate'])).toThrow(/unknown or incomplete argument "--frobnicate"/);
  });
});
