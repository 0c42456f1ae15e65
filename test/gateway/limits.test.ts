// Rate limits (per tenant, per IP; reload-aware) and overload shedding.
import { describe, expect, it } from 'vitest';
import { call, enqueue, expectError } from './helpers.js';
import { gatewaysClosedAfterEach } from '../support/gateway.js';
import { until } from '../support/until.js';

const gateway = gatewaysClosedAfterEach();

const limited = (acmeLimit: number) => `
tenants:
  acme:
    tokens: [acme-token-1]
    limits: { rateLimit: ${acmeLimit} }
  globex:
    tokens: [globex-token-1]
`;

describe('rate limits', () => {
  it('429 RATE_LIMITED with Retry-After past the tenant limit; other tenants unaffected', async () => {
    const g = await gateway({ yaml: limited(3) });
    for (let i = 0; i < 3; i++) expect((await enqueue(g.httpUrl, 'q', i, 'acme-token-1')).status).toBe(200);
    const res = await enqueue(g.httpUrl, 'q', 4, 'acme-token-1');
    expectError(res, 429, 'RATE_LIMITED');
    const retry = Number(res.headers['retry-after']);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect((await enqueue(g.httpUrl, 'q', 1, 'globex-token-1')).status).toBe(200);
    // Operational routes are never rate limited.
    expect((await call(`${g.httpUrl}/health`)).status).toBe(200);
    expect((await call(`${g.httpUrl}/v1/metrics`)).status).toBe(200);
  });

  it('applies a reloaded limit at once', async () => {
    const g = await gateway({ yaml: limited(2), env: { CONDUIT_ADMIN_TOKEN: 'admin-secret-1' } });
    for (let i = 0; i < 2; i++) expect((await enqueue(g.httpUrl, 'q', i, 'acme-token-1')).status).toBe(200);
    expectError(await enqueue(g.httpUrl, 'q', 3, 'acme-token-1'), 429, 'RATE_LIMITED');
    await g.writeConfig(limited(100));
    expect((await call(`${g.httpUrl}/v1/admin/reload`, { method: 'POST', token: 'admin-secret-1' })).status).toBe(200);
    expect((await enqueue(g.httpUrl, 'q', 4, 'acme-token-1')).status).toBe(200);
  });

  it('limits per client address across tenants (CONDUIT_RATE_LIMIT_PER_IP)', async () => {
    const g = await gateway({ yaml: limited(100), env: { CONDUIT_RATE_LIMIT_PER_IP: 3 } });
    expect((await enqueue(g.httpUrl, 'q', 1, 'acme-token-1')).status).toBe(200);
    expect((await enqueue(g.httpUrl, 'q', 2, 'globex-token-1')).status).toBe(200);
    expect((await call(`${g.httpUrl}/v1/stats?stream=q`, { token: 'acme-token-1' })).status).toBe(200);
    const res = await enqueue(g.httpUrl, 'q', 3, 'globex-token-1');
    expectError(res, 429, 'RATE_LIMITED');
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body.error.message).toMatch(/client address/);
  });
});

describe('overload', () => {
  it('sheds tenant requests with 503 OVERLOADED + Retry-After; /health keeps answering', async () => {
    // An RSS cap of 1 byte: overloaded from the first sample on.
    const g = await gateway({ env: { CONDUIT_OVERLOAD_MAX_RSS_BYTES: 1 } });
    const res = await until(async () => {
      const r = await enqueue(g.httpUrl, 'q', 1);
      return r.status === 503 ? r : undefined;
    });
    expectError(res, 503, 'OVERLOADED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await call(`${g.httpUrl}/health`)).status).toBe(200);
    expect((await call(`${g.httpUrl}/v1/metrics`)).status).toBe(200);
  });
});
