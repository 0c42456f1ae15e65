// Core routes over real sockets: health, 404, enqueue, stats, error shapes, two gateways.
import { describe, expect, it } from 'vitest';
import { call, enqueue, expectError } from './helpers.js';
import { gatewaysClosedAfterEach } from '../support/gateway.js';

const gateway = gatewaysClosedAfterEach();

describe('health and routing', () => {
  it('answers /health on both listeners with version, uptime and reload status', async () => {
    const g = await gateway();
    for (const base of [g.httpUrl, g.wsUrl.replace('ws://', 'http://')]) {
      const res = await call(`${base}/health`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', version: expect.any(String), uptimeS: expect.any(Number) });
      expect(res.body.reload).toMatchObject({ status: 'ok', at: expect.any(String) });
      expect(res.body.streams).toEqual({ backend: 'memory', status: 'ok' });
    }
    expect(g.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(g.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(g.httpUrl).not.toBe(g.wsUrl.replace('ws://', 'http://'));
  });

  it('renders unknown routes as 404 NOT_FOUND in the error shape, token or not', async () => {
    const g = await gateway({ yaml: 'tenants:\n  acme:\n    tokens: [acme-token-1]\n' });
    expectError(await call(`${g.httpUrl}/nope`), 404, 'NOT_FOUND');
    expectError(await call(`${g.httpUrl}/v1/enqueue`), 404, 'NOT_FOUND'); // GET on a POST route
  });
});

describe('enqueue and stats', () => {
  it('enqueues with stable ids and shows depth in stats', async () => {
    const g = await gateway();
    const a = await enqueue(g.httpUrl, 'orders', { n: 1 });
    const b = await enqueue(g.httpUrl, 'orders', { n: 2 });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ id: expect.any(String), stream: 'orders' });
    expect(b.body.id).not.toBe(a.body.id);
    const stats = await call(`${g.httpUrl}/v1/stats?stream=orders`);
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({
      stream: 'orders',
      depth: 2,
      inflight: 0,
      delivered: 0,
      acked: 0,
      nacked: 0,
      redelivered: 0,
      deadLettered: 0,
      subscribers: 0,
    });
  });

  it('accepts every allowed character and the 200-character limit', async () => {
    const g = await gateway();
    expect((await enqueue(g.httpUrl, 'a.b_c-d/e:F9', null)).status).toBe(200);
    expect((await enqueue(g.httpUrl, 'x'.repeat(200), 'v')).status).toBe(200);
  });

  it('rejects bad bodies and names with catalogue codes', async () => {
    const g = await gateway();
    const url = `${g.httpUrl}/v1/enqueue`;
    expectError(
      await call(url, { body: '{"to": "x",', headers: { 'content-type': 'application/json' } }),
      400,
      'INVALID_JSON',
    );
    expectError(await call(url, { body: '', headers: { 'content-type': 'application/json' } }), 400, 'INVALID_JSON');
    expectError(await call(url, { json: { envelope: 1 } }), 400, 'VALIDATION_FAILED');
    expectError(await call(url, { json: { to: 'x' } }), 400, 'VALIDATION_FAILED');
    expectError(await call(url, { json: { to: 'x', envelope: 1, extra: true } }), 400, 'VALIDATION_FAILED');
    expectError(await call(url, { json: { to: 5, envelope: 1 } }), 400, 'VALIDATION_FAILED');
    expectError(await call(url, { json: { to: 'bad name', envelope: 1 } }), 400, 'INVALID_STREAM_NAME');
    expectError(await call(url, { json: { to: '', envelope: 1 } }), 400, 'INVALID_STREAM_NAME');
    expectError(await call(url, { json: { to: 'x'.repeat(201), envelope: 1 } }), 400, 'INVALID_STREAM_NAME');
    expectError(await call(url, { json: { to: 'tenant:nope', envelope: 1 } }), 400, 'INVALID_STREAM_NAME');
    expectError(
      await call(url, { body: 'to=x', headers: { 'content-type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(await call(`${g.httpUrl}/v1/stats`), 400, 'VALIDATION_FAILED');
    expectError(await call(`${g.httpUrl}/v1/stats?stream=a%20b`), 400, 'INVALID_STREAM_NAME');
  });

  it('answers 413 PAYLOAD_TOO_LARGE over CONDUIT_MAX_JSON_SIZE, and the client sees it', async () => {
    const g = await gateway({ env: { CONDUIT_MAX_JSON_SIZE: 1024 } });
    const big = JSON.stringify({ to: 'big', envelope: 'x'.repeat(4 * 1024 * 1024) });
    for (let i = 0; i < 3; i++) {
      expectError(
        await call(`${g.httpUrl}/v1/enqueue`, { body: big, headers: { 'content-type': 'application/json' } }),
        413,
        'PAYLOAD_TOO_LARGE',
      );
    }
    expect((await enqueue(g.httpUrl, 'small', 'ok')).status).toBe(200);
  });

  it('answers 503 STREAM_FULL with Retry-After at the stream maxDepth', async () => {
    const g = await gateway({ yaml: 'streams:\n  "tiny*":\n    maxDepth: 2\n' });
    expect((await enqueue(g.httpUrl, 'tiny-1', 1)).status).toBe(200);
    expect((await enqueue(g.httpUrl, 'tiny-1', 2)).status).toBe(200);
    const full = await enqueue(g.httpUrl, 'tiny-1', 3);
    expectError(full, 503, 'STREAM_FULL');
    expect(Number(full.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await enqueue(g.httpUrl, 'other', 3)).status).toBe(200);
  });
});

describe('several gateways in one process', () => {
  it('keeps their state apart', async () => {
    const [g1, g2] = await Promise.all([gateway(), gateway()]);
    expect(g1.httpUrl).not.toBe(g2.httpUrl);
    await enqueue(g1.httpUrl, 'shared-name', 1);
    expect((await call(`${g1.httpUrl}/v1/stats?stream=shared-name`)).body.depth).toBe(1);
    expect((await call(`${g2.httpUrl}/v1/stats?stream=shared-name`)).body.depth).toBe(0);
    const m2 = await call(`${g2.httpUrl}/v1/metrics`);
    expect(m2.body.streams.enqueued).toBe(0);
  });
});
