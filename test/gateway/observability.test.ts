// /v1/metrics, /metrics and the HTTP log.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { call, enqueue, readJsonLines, TWO_TENANTS } from './helpers.js';
import { gatewaysClosedAfterEach } from '../support/gateway.js';
import { until } from '../support/until.js';

const gateway = gatewaysClosedAfterEach();

describe('/v1/metrics', () => {
  it('reports process, http (by route, by status, HDR latency), streams, tenants and helper sections', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    g.gw.ctx.metrics.addJsonSection('extra', () => ({ answer: 42 }));
    await enqueue(g.httpUrl, 'orders', 1, 'acme-token-1');
    await enqueue(g.httpUrl, 'orders', 2, 'acme-token-1');
    await enqueue(g.httpUrl, 'orders', 2);
    const res = await call(`${g.httpUrl}/v1/metrics`);
    expect(res.status).toBe(200);
    const m = res.body;
    expect(m.process).toMatchObject({
      rssBytes: expect.any(Number),
      heapUsedBytes: expect.any(Number),
      heapTotalBytes: expect.any(Number),
      externalBytes: expect.any(Number),
      postGcHeapBytes: null,
      gcCount: expect.any(Number),
      eventLoopDelayMs: { p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) },
      uptimeS: expect.any(Number),
    });
    expect(m.process.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(m.http.requests).toBe(3);
    expect(m.http.byRoute).toEqual({ 'POST /v1/enqueue': 3 });
    expect(m.http.byStatus).toEqual({ 200: 2, 401: 1 });
    expect(m.http.latencyMs).toMatchObject({
      count: 3,
      p50: expect.any(Number),
      p90: expect.any(Number),
      p95: expect.any(Number),
      mean: expect.any(Number),
    });
    expect(m.http.latencyMs.max).toBeGreaterThan(0);
    expect(m.http.latencyMs.p99).toBeLessThanOrEqual(m.http.latencyMs.max * 1.01);
    expect(m.streams).toMatchObject({ enqueued: 2, depth: 2 });
    expect(m.tenants).toEqual({ acme: { requests: 2, enqueued: 2 } });
    expect(m.extra).toEqual({ answer: 42 });
    expect(() => g.gw.ctx.metrics.addJsonSection('process', () => 1)).toThrow(/built in/);
  });

  it('reports postGcHeapBytes from memwatch when CONDUIT_MEMWATCH=true', async () => {
    const g = await gateway({ env: { CONDUIT_MEMWATCH: true } });
    const memwatch = createRequire(import.meta.url)('@airbnb/node-memwatch') as { gc(): void };
    const post = await until(async () => {
      memwatch.gc();
      const m = await call(`${g.httpUrl}/v1/metrics`);
      return m.body.process.postGcHeapBytes as number | null;
    });
    expect(post).toBeGreaterThan(1024 * 1024);
  });
});

describe('/metrics', () => {
  it('serves Prometheus text with request, tenant and streams series', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    await enqueue(g.httpUrl, 'orders', 1, 'acme-token-1');
    const res = await call(`${g.httpUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/conduit_http_requests_total\{method="POST",route="\/v1\/enqueue",status="200"\} 1\n/);
    expect(res.text).toMatch(/conduit_tenant_events_total\{tenant="acme",counter="enqueued"\} 1\n/);
    expect(res.text).toMatch(/conduit_streams\{figure="depth"\} 1/);
    expect(res.text).toMatch(/process_resident_memory_bytes/);
  });

  it('counts every request once, however often it is scraped (the counters are copied at scrape time)', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    await enqueue(g.httpUrl, 'orders', 1, 'acme-token-1');
    await enqueue(g.httpUrl, 'orders', 2, 'acme-token-1');
    await enqueue(g.httpUrl, 'orders', 3, 'wrong-token-zz');
    await call(`${g.httpUrl}/metrics`);
    const res = await call(`${g.httpUrl}/metrics`);
    const value = (series: string) =>
      Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(res.text)?.[1]);
    expect(value('conduit_http_requests_total{method="POST",route="/v1/enqueue",status="200"}')).toBe(2);
    expect(value('conduit_http_requests_total{method="POST",route="/v1/enqueue",status="401"}')).toBe(1);
    // The first scrape finished before the second began; the second is still running.
    expect(value('conduit_http_requests_total{method="GET",route="/metrics",status="200"}')).toBe(1);
    expect(value('conduit_tenant_events_total{tenant="acme",counter="requests"}')).toBe(2);
    expect(value('conduit_tenant_events_total{tenant="acme",counter="enqueued"}')).toBe(2);
    expect(value('conduit_http_request_duration_seconds_count{method="POST",route="/v1/enqueue"}')).toBe(3);
  });
});

describe('HTTP log', () => {
  it('writes one JSONL line per request with the documented fields and no tokens', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    await enqueue(g.httpUrl, 'orders', { secret: false }, 'acme-token-1');
    await call(`${g.httpUrl}/v1/stats?stream=orders&token=acme-token-2`, { headers: { 'x-token': 'globex-token-1' } });
    await call(`${g.httpUrl}/v1/stats?stream=orders`, { token: 'wrong-token-zzz' });
    const lines = await until(async () => {
      const l = await readJsonLines(g.httpLog);
      return l.length >= 3 ? l : undefined;
    });
    expect(lines).toHaveLength(3);
    const [first, second, third] = lines;
    expect(first).toMatchObject({
      ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      reqId: expect.any(String),
      ip: '127.0.0.1',
      tenant: 'acme',
      method: 'POST',
      path: '/v1/enqueue',
      status: 200,
      durMs: expect.any(Number),
      bytesIn: expect.any(Number),
      bytesOut: expect.any(Number),
    });
    expect(first.bytesIn).toBeGreaterThan(10);
    expect(first.bytesOut).toBeGreaterThan(10);
    expect(second).toMatchObject({ tenant: 'globex', path: '/v1/stats', status: 200 });
    expect(third).toMatchObject({ tenant: '-', status: 401, code: 'UNAUTHORIZED' });
    const raw = JSON.stringify(lines);
    for (const token of ['acme-token-1', 'acme-token-2', 'globex-token-1', 'wrong-token-zzz'])
      expect(raw).not.toContain(token);
  });
});
