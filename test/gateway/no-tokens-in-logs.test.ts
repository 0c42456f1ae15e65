// Tokens never reach a log: not the HTTP log, not the WebSocket log, not the app log
// (at its most verbose level) — whether they came in `Authorization`, `x-token` or
// `?token=`, were accepted or refused, or rode along with a request that failed.
import { afterEach, describe, expect, it } from 'vitest';
import { call, enqueue, readJsonLines, TWO_TENANTS } from './helpers.js';
import { gatewaysClosedAfterEach } from '../support/gateway.js';
import { ClientPool } from '../support/ws-client.js';
import { until } from '../support/until.js';

const gateway = gatewaysClosedAfterEach();
const pool = new ClientPool();
afterEach(() => pool.closeAll());

const ADMIN = 'admin-secret-token-9';
const TOKENS = ['acme-token-1', 'acme-token-2', 'globex-token-1', 'wrong-token-77', 'never-valid-88', ADMIN];

/** Open a WebSocket; resolve 'open' once subscribed, or the refusing HTTP status. */
async function subscribe(url: string, headers: Record<string, string> = {}): Promise<number | 'open'> {
  try {
    const c = await pool.connect(url, { headers, waitSubscribed: false });
    await c.until(() => c.frames.length > 0, 3000, 'a first frame');
    c.ws.close(1000);
    return 'open';
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === undefined) throw err;
    return status;
  }
}

describe('tokens in logs', () => {
  it('never appear in the HTTP, WebSocket or app log', async () => {
    const g = await gateway({
      yaml: TWO_TENANTS,
      env: { CONDUIT_ADMIN_TOKEN: ADMIN, CONDUIT_LOG_LEVEL: 'trace' },
    });
    const ws = g.wsUrl;

    // HTTP: accepted and refused tokens in every place a client may put one.
    expect((await enqueue(g.httpUrl, 'orders', { n: 1 }, 'acme-token-1')).status).toBe(200);
    expect(
      (await call(`${g.httpUrl}/v1/stats?stream=orders`, { headers: { 'x-token': 'globex-token-1' } })).status,
    ).toBe(200);
    expect((await call(`${g.httpUrl}/v1/stats?stream=orders&token=acme-token-2`)).status).toBe(401);
    expect((await call(`${g.httpUrl}/v1/stats?stream=orders`, { token: 'wrong-token-77' })).status).toBe(401);
    expect((await call(`${g.httpUrl}/v1/stats/%E0%A4%A?token=acme-token-2`, { token: 'acme-token-1' })).status).toBe(
      400,
    );
    expect((await call(`${g.httpUrl}/v1/admin/reload`, { method: 'POST', token: 'never-valid-88' })).status).toBe(401);
    expect((await call(`${g.httpUrl}/v1/admin/reload`, { method: 'POST', token: 'acme-token-1' })).status).toBe(403);
    expect((await call(`${g.httpUrl}/v1/admin/reload`, { method: 'POST', token: ADMIN })).status).toBe(200);

    // WebSocket: ?token= and the header, accepted and refused (before and after auth).
    expect(await subscribe(`${ws}/v1/subscribe?stream=orders&token=acme-token-1`)).toBe('open');
    expect(await subscribe(`${ws}/v1/subscribe?stream=orders`, { authorization: 'Bearer globex-token-1' })).toBe(
      'open',
    );
    expect(await subscribe(`${ws}/v1/subscribe?stream=orders&token=wrong-token-77`)).toBe(401);
    expect(await subscribe(`${ws}/v1/subscribe?stream=bad%20name&token=acme-token-2`)).toBe(400);
    expect(await subscribe(`${g.httpUrl.replace('http', 'ws')}/health?token=acme-token-2`)).toBe(200);

    // A request that fails inside the gateway, carrying a token: the app log gets the error.
    const streams = g.gw.ctx.streams as { enqueue: (...args: unknown[]) => Promise<unknown> };
    streams.enqueue = async () => {
      throw new Error('engine failure');
    };
    expect((await enqueue(g.httpUrl, 'orders', 1, 'acme-token-2')).status).toBe(500);

    // A reload that fails on a file full of tokens: logged and shown in /health.
    await g.writeConfig('tenants:\n  acme:\n    tokens: [acme-token-1, "acme-token-2\n');
    expect((await call(`${g.httpUrl}/v1/admin/reload`, { method: 'POST', token: ADMIN })).status).toBe(400);
    const health = await call(`${g.httpUrl}/health`);
    expect(health.body.reload.status).toBe('failed');

    const httpLines = await until(async () => {
      const lines = await readJsonLines(g.httpLog);
      return lines.length >= 13 ? lines : undefined;
    });
    const wsLines = await until(async () => {
      const lines = await readJsonLines(g.httpLog.replace('http.jsonl', 'ws.jsonl'));
      return lines.filter((l) => l.event === 'close').length >= 2 ? lines : undefined;
    });
    // The refused upgrades are in the HTTP log, by path only.
    expect(
      httpLines
        .filter((l) => l.path === '/v1/subscribe')
        .map((l) => l.status)
        .sort(),
    ).toEqual([400, 401]);
    expect(g.appLines.some((l) => l.msg === 'request failed')).toBe(true);
    expect(g.appLines.some((l) => l.event === 'config.reload' && l.status === 'failed')).toBe(true);

    for (const [name, text] of [
      ['HTTP log', JSON.stringify(httpLines)],
      ['WebSocket log', JSON.stringify(wsLines)],
      ['app log', JSON.stringify(g.appLines)],
      ['/health', health.text],
    ] as const) {
      for (const token of TOKENS)
        expect({ where: name, token, found: text.includes(token) }).toEqual({ where: name, token, found: false });
    }
  });
});
