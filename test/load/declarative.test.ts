// The declarative scenario API's parts: thresholds compile to the existing matchers (and
// one that does not parse is an error naming it), knobs come from the environment by prefix.
import { describe, expect, it } from 'vitest';
import { compileThresholds, defineKnobs, isLoadError, knobVariable } from '../../src/load/index.js';

function thresholdError(spec: Record<string, string | number>): string {
  try {
    compileThresholds(spec);
  } catch (error) {
    expect(isLoadError(error, 'THRESHOLD')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a THRESHOLD error');
}

describe('thresholds', () => {
  it('compile to the matchers with their arguments', () => {
    const compiled = compileThresholds({
      'http.latency p95': '<200ms',
      'ws.delivery p99.9': '< 1.5 s',
      errorRate: '<1%',
      memory: 'stable',
      lost: 0,
      'memory growth': '< 10%',
      'memory.rss growth': '< 200 MiB',
      'count requests': '>= 1000',
      'throughput messagesPerS': '>=5',
      'success connections.opened/connections.attempted': '>= 95%',
    });
    expect(compiled.map((t) => t.call)).toEqual([
      ['toHaveLatencyPercentileBelow', 'http.latency', 95, 200],
      ['toHaveLatencyPercentileBelow', 'ws.delivery', 99.9, 1500],
      ['toHaveErrorRateBelow', 0.01],
      ['toHaveStableMemory'],
      ['toHaveNoLostMessages'],
      ['toHaveMemoryGrowthBelow', { fraction: 0.1 }],
      ['toHaveMemoryGrowthBelow', { bytes: 200 * 1024 * 1024, metric: 'rss' }],
      ['toHaveCounterAtLeast', 'requests', 1000],
      ['toHaveThroughputAtLeast', 'messagesPerS', 5],
      [
        'toHaveSuccessRateAtLeast',
        0.95,
        {
          success: 'connections.opened',
          total: 'connections.attempted',
          label: 'connections.opened/connections.attempted',
        },
      ],
    ]);
  });

  it('one that does not parse is one error naming it', () => {
    expect(thresholdError({ 'p95 < fast': '<200ms' })).toMatch(/^threshold "p95 < fast": unknown threshold/);
    expect(thresholdError({ 'http.latency p95': '< fast' })).toBe(
      `threshold "http.latency p95": "< fast" is not a bound: write e.g. '< 200ms'`,
    );
    expect(thresholdError({ errorRate: '> 1%' })).toMatch(/errorRate.*use '<' here, not '>'/);
    expect(thresholdError({ errorRate: '< 5' })).toMatch(/a rate is a percentage or a fraction/);
    expect(thresholdError({ memory: 'growing' })).toMatch(/only memory verdict to require is 'stable'/);
    expect(thresholdError({ lost: 3 })).toMatch(/only 0 lost messages/);
    expect(thresholdError({ 'http.latency p95': '< 2 days' })).toMatch(/needs ms, s or us/);
  });
});

describe('knobs by prefix', () => {
  it('read PREFIX_UPPER_SNAKE with the default typed by the default', () => {
    expect(knobVariable('CONDUIT_WS', 'minMsgPerS')).toBe('CONDUIT_WS_MIN_MSG_PER_S');
    expect(knobVariable('CONDUIT_WS', 'maxMemoryGrowthMb')).toBe('CONDUIT_WS_MAX_MEMORY_GROWTH_MB');
    const env = {
      CONDUIT_X_CLIENTS: '12.7',
      CONDUIT_X_NACK_RATE: '0.25',
      CONDUIT_X_ASSERT_TREND: 'false',
      CONDUIT_X_SIZES: '1KB',
    };
    const env2 = { ...env, CONDUIT_X_DURATION_MIN: '0.5' };
    const k = defineKnobs(
      'CONDUIT_X',
      { clients: 100, nackRate: 0.1, assertTrend: true, sizes: '1MB', untouched: 7, durationMin: 15 },
      { env: env2, fractions: ['durationMin'] },
    );
    expect(k).toEqual({
      clients: 12,
      nackRate: 0.25,
      assertTrend: false,
      sizes: '1KB',
      untouched: 7,
      durationMin: 0.5,
    });
    expect(Object.isFrozen(k)).toBe(true);
  });

  it('a malformed override names its variable', () => {
    expect(() => defineKnobs('CONDUIT_X', { clients: 1 }, { env: { CONDUIT_X_CLIENTS: 'many' } })).toThrow(
      /CONDUIT_X_CLIENTS must be a non-negative number, got "many"/,
    );
  });
});
