// Auth and tenant isolation over real sockets.
import { describe, expect, it } from 'vitest';
import { ConfigLoadError } from '../../src/gateway/config/holder.js';
import { call, enqueue, expectError, TWO_TENANTS } from './helpers.js';
import { startGateway, gatewaysClosedAfterEach } from '../support/gateway.js';

const gateway = gatewaysClosedAfterEach();

describe('tokens', () => {
  it('401 without a token or with an unknown one; Bearer and x-token both work', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    expectError(await enqueue(g.httpUrl, 'orders', 1), 401, 'UNAUTHORIZED');
    expectError(await enqueue(g.httpUrl, 'orders', 1, 'wrong-token-123'), 401, 'UNAUTHORIZED');
    expectError(
      await call(`${g.httpUrl}/v1/stats?stream=orders`, { headers: { authorization: 'Basic abc' } }),
      401,
      'UNAUTHORIZED',
    );
    expect((await enqueue(g.httpUrl, 'orders', 1, 'acme-token-1')).status).toBe(200);
    const viaHeader = await call(`${g.httpUrl}/v1/stats?stream=orders`, { headers: { 'x-token': 'acme-token-2' } });
    expect(viaHeader.body.depth).toBe(1);
    // ?token= is for the WebSocket route only.
    expectError(await call(`${g.httpUrl}/v1/stats?stream=orders&token=acme-token-1`), 401, 'UNAUTHORIZED');
  });

  it('CONDUIT_TOKENS makes tokens of tenant "default"', async () => {
    const g = await gateway({ env: { CONDUIT_TOKENS: ['env-token-1'] } });
    expectError(await enqueue(g.httpUrl, 'q', 1), 401, 'UNAUTHORIZED');
    expect((await enqueue(g.httpUrl, 'q', 1, 'env-token-1')).status).toBe(200);
  });

  it('open mode (no tokens) serves tenant default on loopback', async () => {
    const g = await gateway();
    expect((await enqueue(g.httpUrl, 'q', 1)).status).toBe(200);
    expect((await call(`${g.httpUrl}/v1/stats?stream=q`, { token: 'anything-at-all' })).body.depth).toBe(1);
  });

  it('refuses to start open on a non-loopback bind, and says why', async () => {
    const err = await startGateway({ env: { CONDUIT_BIND: '0.0.0.0' }, listen: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigLoadError);
    expect((err as ConfigLoadError).problems.join('\n')).toMatch(
      /no tokens are configured.*refusing to bind 0\.0\.0\.0/,
    );
  });
});

describe('tenant isolation', () => {
  it('scopes stream names to the tenant', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    await enqueue(g.httpUrl, 'orders', 'a', 'acme-token-1');
    await enqueue(g.httpUrl, 'orders', 'a', 'acme-token-1');
    await enqueue(g.httpUrl, 'orders', 'g', 'globex-token-1');
    expect((await call(`${g.httpUrl}/v1/stats?stream=orders`, { token: 'acme-token-1' })).body.depth).toBe(2);
    expect((await call(`${g.httpUrl}/v1/stats?stream=orders`, { token: 'globex-token-1' })).body.depth).toBe(1);
  });

  it("403 for another tenant's qualified name; the own qualified name is the plain stream", async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    expectError(await enqueue(g.httpUrl, 'tenant:acme/orders', 1, 'globex-token-1'), 403, 'FORBIDDEN');
    expectError(
      await call(`${g.httpUrl}/v1/stats?stream=tenant:acme/orders`, { token: 'globex-token-1' }),
      403,
      'FORBIDDEN',
    );
    const own = await enqueue(g.httpUrl, 'tenant:acme/orders', 1, 'acme-token-1');
    expect(own.body.stream).toBe('orders');
    expect((await call(`${g.httpUrl}/v1/stats?stream=orders`, { token: 'acme-token-1' })).body.depth).toBe(1);
  });
});

describe('admin and metrics protection', () => {
  it('admin reload: 403 when no admin token is configured', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    expectError(
      await call(`${g.httpUrl}/v1/admin/reload`, { method: 'POST', token: 'acme-token-1' }),
      403,
      'FORBIDDEN',
    );
  });

  it('admin reload: 401 missing/unknown, 403 tenant token, 200 admin token', async () => {
    const g = await gateway({ yaml: TWO_TENANTS, env: { CONDUIT_ADMIN_TOKEN: 'admin-secret-1' } });
    const url = `${g.httpUrl}/v1/admin/reload`;
    expectError(await call(url, { method: 'POST' }), 401, 'UNAUTHORIZED');
    expectError(await call(url, { method: 'POST', token: 'nope-nope-nope' }), 401, 'UNAUTHORIZED');
    expectError(await call(url, { method: 'POST', token: 'acme-token-1' }), 403, 'FORBIDDEN');
    const ok = await call(url, { method: 'POST', token: 'admin-secret-1' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ reloaded: true });
  });

  it('metrics are open by default and need a tenant token with CONDUIT_PROTECT_METRICS=true', async () => {
    const plain = await gateway({ yaml: TWO_TENANTS });
    expect((await call(`${plain.httpUrl}/v1/metrics`)).status).toBe(200);
    expect((await call(`${plain.httpUrl}/metrics`)).status).toBe(200);
    const g = await gateway({ yaml: TWO_TENANTS, env: { CONDUIT_PROTECT_METRICS: true } });
    expectError(await call(`${g.httpUrl}/v1/metrics`), 401, 'UNAUTHORIZED');
    expectError(await call(`${g.httpUrl}/metrics`), 401, 'UNAUTHORIZED');
    expect((await call(`${g.httpUrl}/v1/metrics`, { token: 'acme-token-1' })).status).toBe(200);
    expect((await call(`${g.httpUrl}/metrics`, { token: 'globex-token-1' })).status).toBe(200);
    expect((await call(`${g.httpUrl}/health`)).status).toBe(200);
  });
});
