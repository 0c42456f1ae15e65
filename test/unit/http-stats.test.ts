import { describe, expect, it } from 'vitest';
import { HttpStats } from '../../src/gateway/observability/http-stats.js';

describe('HttpStats', () => {
  it('counts by route and status and reports HDR percentiles in ms', () => {
    const s = new HttpStats();
    expect(s.snapshot().latencyMs).toEqual({ p50: 0, p90: 0, p95: 0, p99: 0, max: 0, mean: 0, count: 0 });
    for (let i = 1; i <= 100; i++) s.record('POST', '/v1/enqueue', i === 100 ? 503 : 200, i);
    s.record('GET', '/health', 200, 0.5);
    const snap = s.snapshot();
    expect(snap.requests).toBe(101);
    expect(snap.byRoute).toEqual({ 'POST /v1/enqueue': 100, 'GET /health': 1 });
    expect(snap.byStatus).toEqual({ 200: 100, 503: 1 });
    expect(snap.latencyMs.count).toBe(101);
    // 3 significant digits: within 0.1% of the true values.
    expect(snap.latencyMs.p50).toBeCloseTo(50, 0);
    expect(snap.latencyMs.p99).toBeCloseTo(99, 0);
    expect(snap.latencyMs.max).toBeCloseTo(100, 0);
    expect(snap.latencyMs.p90).toBeLessThanOrEqual(snap.latencyMs.p95);
  });

  it('never reports a percentile above the maximum (HDR buckets round up)', () => {
    const s = new HttpStats();
    for (const ms of [8.295, 50.265, 2.1]) s.record('GET', '/v1/metrics', 200, ms);
    const l = s.snapshot().latencyMs;
    expect(l.max).toBe(50.265);
    expect(l.p99).toBe(l.max);
    expect(l.p95).toBeLessThanOrEqual(l.max);
  });
});
