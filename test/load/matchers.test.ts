import { beforeAll, describe, expect, it } from 'vitest';
import {
  analyzeMemory,
  buildScenarioResult,
  DeliveryLedger,
  installMatchers,
  Metrics,
  publishResult,
} from '../../src/load/index.js';
import type { MemoryReport, ScenarioResult } from '../../src/load/index.js';

const MiB = 1024 * 1024;

function result(options: { memory?: MemoryReport; ledger?: DeliveryLedger } = {}): ScenarioResult {
  const metrics = new Metrics({ mainMetric: 'http.latency' });
  for (let i = 1; i <= 100; i++) {
    metrics.recordLatency('http.latency', i * 10); // 10..1000 ms: p95 = 950 ms
    metrics.completed();
  }
  metrics.error('HTTP_5XX');
  metrics.error('HTTP_5XX');
  metrics.error('ECONNRESET');
  metrics.count('connections.attempted', 100);
  metrics.count('connections.opened', 96);
  return buildScenarioResult({
    scenario: 'unit',
    startedAt: new Date(0).toISOString(),
    durationS: 10,
    target: { url: 'http://127.0.0.1:1', managed: false },
    metrics,
    memory: options.memory,
    ledger: options.ledger?.summary(),
  });
}

/** Run a matcher and return its failure message ('' when it passed). */
function failure(fn: () => void): string {
  try {
    fn();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

beforeAll(() => installMatchers());

describe('threshold matchers', () => {
  it('latency percentile: pass and fail messages state measured vs allowed, outcomes recorded', () => {
    const r = result();
    expect(r).toHaveLatencyPercentileBelow('http.latency', 95, 1000);
    const msg = failure(() => expect(r).toHaveLatencyPercentileBelow('http.latency', 95, 500));
    expect(msg).toMatch(/http\.latency p95 < 500 ms: measured 95\d\.\d+ ms, allowed < 500 ms \(100 samples\)/);
    expect(r.thresholds.map((t) => [t.name, t.passed])).toEqual([
      ['http.latency p95 < 1000 ms', true],
      ['http.latency p95 < 500 ms', false],
    ]);
    expect(failure(() => expect(r).toHaveLatencyPercentileBelow('nope', 99, 1))).toMatch(
      /"nope" has no samples \(histograms: http\.latency\)/,
    );
  });

  it('error rate counts every type, with exclusions', () => {
    const r = result();
    expect(failure(() => expect(r).toHaveErrorRateBelow(0.01))).toMatch(
      /error rate < 1%: measured 3% \(3 errors \/ 100 operations; HTTP_5XX=2, ECONNRESET=1\), allowed < 1%/,
    );
    expect(r).toHaveErrorRateBelow(0.02, { exclude: ['HTTP_5XX'] });
    expect(r.thresholds.at(-1)).toMatchObject({
      name: 'error rate (not counting HTTP_5XX) < 2%',
      passed: true,
      measured: 0.01,
    });
  });

  it('success rate and throughput', () => {
    const r = result();
    expect(r).toHaveSuccessRateAtLeast(0.95, {
      success: 'connections.opened',
      total: 'connections.attempted',
      label: 'connections',
    });
    expect(
      failure(() =>
        expect(r).toHaveSuccessRateAtLeast(0.99, {
          success: 'connections.opened',
          total: 'connections.attempted',
          label: 'connections',
        }),
      ),
    ).toMatch(/connections ≥ 99%: measured 96% \(96 of 100\), allowed ≥ 99%/);
    expect(r).toHaveThroughputAtLeast('requestsPerS', 10);
    expect(failure(() => expect(r).toHaveThroughputAtLeast('messagesPerS', 5))).toMatch(
      /messagesPerS ≥ 5 msg\/s: measured 0 msg\/s, allowed ≥ 5 msg\/s/,
    );
    expect(r).toHaveCounterAtLeast('requests', 100);
    expect(failure(() => expect(r).toHaveCounterAtLeast('requests', 1000))).toMatch(/requests ≥ 1000: measured 100/);
  });

  it('stable memory and growth limits', () => {
    const samples = Array.from({ length: 120 }, (_, t) => ({ t, rssBytes: (100 + t / 6) * MiB })); // 10 MiB/min
    const growing: MemoryReport = {
      source: 'proc',
      samples,
      trends: [
        {
          metric: 'rss',
          verdict: 'growing',
          slopeMBPerMin: 10,
          slopeStdErrMBPerMin: 0.1,
          growthMB: 19.8,
          projectedMBPerHour: 600,
          pValue: 1e-9,
          samples: 120,
          warmupS: 24,
          windowS: 119,
          levelMB: 110,
          fitted: true,
          reason: 'rising',
        },
      ],
      verdict: 'growing',
      rss: { minBytes: 100 * MiB, maxBytes: 120 * MiB, avgBytes: 110 * MiB, growthBytes: 20 * MiB },
    };
    const r = result({ memory: growing });
    expect(failure(() => expect(r).toHaveStableMemory())).toMatch(
      /memory trend stable: growing \(\+10 MiB\/min on RSS\), allowed stable or not judged — RSS: growing, 10 MiB\/min \(600 MiB\/h\), rising/,
    );
    // The growth check compares the trend's own fitted growth (the figure the verdict printed).
    expect(failure(() => expect(r).toHaveMemoryGrowthBelow({ fraction: 0.1 }))).toMatch(
      /RSS growth < 10% of its level: fitted growth \+19\.80 MiB over 119 s after the 24 s warm-up \(10 MiB\/min over 120 samples; level 110 MiB\), allowed < 11 MiB/,
    );
    expect(r).toHaveMemoryGrowthBelow({ bytes: 200 * MiB });
    expect(r.thresholds.at(-1)).toMatchObject({ measured: 19.8, allowed: 200, passed: true });
    // Without growthMB (older results) it is slope × window.
    const older = result({
      memory: { ...growing, trends: [{ ...growing.trends[0]!, growthMB: undefined, windowS: 120, levelMB: 100 }] },
    });
    expect(failure(() => expect(older).toHaveMemoryGrowthBelow({ fraction: 0.1 }))).toMatch(
      /fitted growth \+20 MiB over 120 s .* allowed < 10 MiB/,
    );
    const none = result();
    expect(none).toHaveStableMemory(); // inconclusive passes by default…
    expect(failure(() => expect(none).toHaveStableMemory({ allowInconclusive: false }))).toMatch(
      /memory trend stable: not judged \(no samples\), allowed stable/,
    );
  });

  it('memory growth is "not judged" (never a made-up 0 MiB) when no slope could be fitted', () => {
    // Three full GCs in 60 s: the sampler repeats each reading every second, but that is 3 observations.
    const samples = Array.from({ length: 60 }, (_, t) => ({
      t,
      rssBytes: 100 * MiB,
      postGcHeapBytes: (20 + Math.floor(t / 20)) * MiB,
    }));
    const memory = analyzeMemory(samples, 'proc');
    const heap = memory.trends.find((t) => t.metric === 'postGcHeap')!;
    expect(heap).toMatchObject({ verdict: 'inconclusive', inconclusive: 'samples', fitted: false });
    const r = result({ memory });
    expect(r).toHaveMemoryGrowthBelow({ fraction: 0.1, metric: 'postGcHeap' });
    const outcome = r.thresholds.at(-1)!;
    expect(outcome).toMatchObject({ measured: 'not judged', passed: true });
    expect(outcome.message).toMatch(
      /post-GC heap growth < 10% of its level: not judged \(passes\) — only 3 post-GC readings \(need 8\) — run longer \(without an inspector/,
    );
    // Without a metric the check follows the trend the verdict speaks with: RSS, fitted here.
    expect(r).toHaveMemoryGrowthBelow({ fraction: 0.1 });
    expect(r.thresholds.at(-1)).toMatchObject({ name: 'RSS growth < 10% of its level', measured: 0, passed: true });
  });

  it('ledger: lost messages fail with a sample of ids', () => {
    const ledger = new DeliveryLedger();
    for (const id of ['a', 'b', 'c']) ledger.enqueued(id);
    ledger.delivered('a', 1);
    ledger.delivered('b', 1);
    ledger.delivered('b', 1);
    const r = result({ ledger });
    expect(failure(() => expect(r).toHaveNoLostMessages())).toMatch(
      /no lost messages: 1 lost \(e\.g\. c\), 1 duplicated of 3 enqueued \(2 delivered\), allowed 0/,
    );
    expect(failure(() => expect(result()).toHaveNoLostMessages())).toMatch(/no delivery ledger/);
  });

  it('noDuplicates: a duplicate fails it, and only then', () => {
    const ledger = new DeliveryLedger();
    for (const id of ['a', 'b']) ledger.enqueued(id);
    ledger.delivered('a', 1);
    ledger.delivered('b', 1);
    ledger.delivered('b', 1); // a duplicate, nothing lost
    const r = result({ ledger });
    expect(r).toHaveNoLostMessages();
    expect(failure(() => expect(r).toHaveNoLostMessages({ noDuplicates: true }))).toMatch(
      /no lost or duplicated messages: 0 lost, 1 duplicated of 2 enqueued/,
    );
  });

  it('.not inverts a threshold: it passes where the threshold fails and fails where it passes', () => {
    const r = result(); // p95 ≈ 950 ms
    expect(r).not.toHaveLatencyPercentileBelow('http.latency', 95, 500);
    expect(failure(() => expect(r).not.toHaveLatencyPercentileBelow('http.latency', 95, 1000))).toMatch(
      /http\.latency p95 < 1000 ms/,
    );
  });

  it('a run with no operations has no error rate to judge: it fails saying so, never passes with 0 %', () => {
    const empty = buildScenarioResult({
      scenario: 'unit',
      startedAt: new Date(0).toISOString(),
      durationS: 10,
      target: { url: 'http://127.0.0.1:1', managed: false },
      metrics: new Metrics({ mainMetric: 'http.latency' }),
    });
    const msg = failure(() => expect(empty).toHaveErrorRateBelow(0.01));
    expect(msg).not.toBe('');
    expect(msg).toMatch(
      /error rate < 1%: no operations were made \(0 errors; none\), so there is no error rate to judge/,
    );
    expect(empty.thresholds.at(-1)).toMatchObject({ passed: false, measured: 0 });
  });

  it('publishResult stores the same object in task.meta.conduit', (ctx) => {
    const r = result();
    publishResult(ctx, r);
    expect(ctx.task.meta.conduit).toBe(r);
    expect(r.throughput.requestsPerS).toBe(10);
    expect(r.errors).toEqual({ HTTP_5XX: 2, ECONNRESET: 1 });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // plain JSON
    delete ctx.task.meta.conduit; // keep the unit run's reporters quiet
  });
});
