// Reload through POST /v1/admin/reload and through the ConfigHolder.
import { describe, expect, it } from 'vitest';
import { call, enqueue, expectError, TWO_TENANTS } from './helpers.js';
import { gatewaysClosedAfterEach, type TestGateway } from '../support/gateway.js';

const gateway = gatewaysClosedAfterEach();
const ADMIN = 'admin-secret-1';
const reload = (g: TestGateway) => call(`${g.httpUrl}/v1/admin/reload`, { method: 'POST', token: ADMIN });

describe('reload', () => {
  it('a valid file takes effect without a restart', async () => {
    const g = await gateway({ yaml: TWO_TENANTS, env: { CONDUIT_ADMIN_TOKEN: ADMIN } });
    expectError(await enqueue(g.httpUrl, 'q', 1, 'initech-token-1'), 401, 'UNAUTHORIZED');
    await g.writeConfig(`${TWO_TENANTS}  initech:\n    tokens: [initech-token-1]\n`);
    const res = await reload(g);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ reloaded: true, at: expect.any(String) });
    expect((await enqueue(g.httpUrl, 'q', 1, 'initech-token-1')).status).toBe(200);
    expect((await call(`${g.httpUrl}/health`)).body.reload.status).toBe('ok');
  });

  it('an invalid file keeps the old config, answers 400 with every problem and shows them in /health', async () => {
    const g = await gateway({ yaml: TWO_TENANTS, env: { CONDUIT_ADMIN_TOKEN: ADMIN } });
    await g.writeConfig('tenants:\n  acme:\n    tokens: [short]\n    limits: { rateLimit: -1 }\nbogus: 1\n');
    const res = await reload(g);
    expectError(res, 400, 'CONFIG_INVALID');
    const problems: string[] = res.body.error.details.problems;
    expect(problems.length).toBeGreaterThanOrEqual(2);
    expect(problems.join('\n')).toMatch(/tokens/);
    expect(problems.join('\n')).toMatch(/bogus|Unrecognized/i);
    expect(problems.join('\n')).not.toContain('acme-token-1');
    // The old config still serves.
    expect((await enqueue(g.httpUrl, 'q', 1, 'acme-token-1')).status).toBe(200);
    const health = await call(`${g.httpUrl}/health`);
    expect(health.status).toBe(200);
    expect(health.body.reload).toMatchObject({ status: 'failed', errors: problems });
    expect(g.appLines.some((l) => l.event === 'config.reload' && l.status === 'failed')).toBe(true);
    // Fixing the file clears the failure.
    await g.writeConfig(TWO_TENANTS);
    expect((await reload(g)).status).toBe(200);
    expect((await call(`${g.httpUrl}/health`)).body.reload).toEqual({ status: 'ok', at: expect.any(String) });
  });

  it('ConfigHolder.reload swaps the resolved config atomically and reports status', async () => {
    const g = await gateway({ yaml: TWO_TENANTS, listen: false });
    const holder = g.gw.ctx.config;
    const before = holder.current();
    expect(before.tenantForToken('acme-token-1')?.name).toBe('acme');
    await g.writeConfig('tenants:\n  solo:\n    tokens: [solo-token-1]\n');
    const ok = await holder.reload();
    expect(ok.status).toBe('ok');
    expect(holder.current()).not.toBe(before);
    expect(holder.current().tenantForToken('acme-token-1')).toBeUndefined();
    expect(holder.current().tenantForToken('solo-token-1')?.name).toBe('solo');
    await g.writeConfig('tenants: [not, a, map]\n');
    const failed = await holder.reload();
    expect(failed.status).toBe('failed');
    expect(failed.errors?.length).toBeGreaterThan(0);
    expect(holder.status()).toBe(failed);
    expect(holder.current().tenantForToken('solo-token-1')?.name).toBe('solo');
  });

  it('a file that would leave a public bind open is refused on reload', async () => {
    const g = await gateway({ yaml: TWO_TENANTS, listen: false, env: { CONDUIT_BIND: '0.0.0.0' } });
    await g.writeConfig('tenants: {}\n');
    const status = await g.gw.ctx.config.reload();
    expect(status.status).toBe('failed');
    expect(status.errors?.join()).toMatch(/no tokens are configured/);
    expect(g.gw.ctx.config.current().open).toBe(false);
  });
});
