// Upgrade requests the gateway does not accept — to a route that is not /v1/subscribe,
// to an unknown path, or refused by a hook (auth, drain) — get their HTTP answer and
// then the socket is closed: the client sees the status and EOF, and close() never
// waits for a socket nobody owns.
import { describe, expect, it } from 'vitest';
import { TWO_TENANTS } from './helpers.js';
import { gatewaysClosedAfterEach, type TestGateway } from '../support/gateway.js';
import { exchange, rawConnection, upgradeRequest } from '../support/raw-socket.js';
import { until } from '../support/until.js';

const gateway = gatewaysClosedAfterEach();

interface Answer {
  /** Everything the server sent before it closed the socket. */
  text: string;
  /** True when the server closed the socket within the bound. */
  closedByServer: boolean;
}

/** Send a WebSocket upgrade request over a raw socket; collect the answer until the server closes (bounded). */
async function upgrade(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  boundMs = 3000,
): Promise<Answer> {
  const res = await exchange(base, upgradeRequest(path, headers), { boundMs });
  return { text: res.bytes.toString('latin1'), closedByServer: res.closedByServer };
}

const status = (a: Answer) => Number(/^HTTP\/1\.1 (\d{3})/.exec(a.text)?.[1]);

/** close() must finish promptly: a dangling upgrade socket would keep server.close() waiting. */
async function closesWithin(g: TestGateway, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  const result = await Promise.race([g.close().then(() => 'closed' as const), timeout]);
  clearTimeout(timer);
  expect(result).toBe('closed');
}

describe('upgrade requests the gateway does not take', () => {
  it('answers them and closes the socket, on both listeners', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    for (const base of [g.httpUrl, g.wsUrl]) {
      const health = await upgrade(base, '/health');
      expect(status(health)).toBe(200);
      expect(health.text).toContain('"status":"ok"');
      expect(health.text.toLowerCase()).toContain('connection: close');
      expect(health.closedByServer).toBe(true);

      const missing = await upgrade(base, '/nope');
      expect(status(missing)).toBe(404);
      expect(missing.text).toContain('"NOT_FOUND"');
      expect(missing.closedByServer).toBe(true);

      const noToken = await upgrade(base, '/v1/subscribe?stream=orders');
      expect(status(noToken)).toBe(401);
      expect(noToken.text).toContain('"UNAUTHORIZED"');
      expect(noToken.closedByServer).toBe(true);
    }
    const stats = await upgrade(g.httpUrl, '/v1/stats?stream=orders', { authorization: 'Bearer acme-token-1' });
    expect(status(stats)).toBe(200);
    expect(stats.closedByServer).toBe(true);
    await closesWithin(g, 2000);
  });

  it('refuses them with 503 DRAINING during a drain and closes the socket', async () => {
    const g = await gateway();
    const drained = g.gw.drain(5000);
    // Every route but the operational ones answers 503 while draining, unknown paths too.
    for (const base of [g.httpUrl, g.wsUrl]) {
      for (const path of ['/v1/subscribe?stream=orders', '/v1/stats?stream=orders', '/nope']) {
        const a = await upgrade(base, path);
        expect({ path, status: status(a), closed: a.closedByServer }).toEqual({ path, status: 503, closed: true });
        expect(a.text).toContain('"DRAINING"');
      }
    }
    const health = await upgrade(g.httpUrl, '/health');
    expect(status(health)).toBe(503);
    expect(health.closedByServer).toBe(true);
    expect(await drained).toMatchObject({ drained: true });
    await closesWithin(g, 2000);
  });

  it('closes the socket of an upgrade Fastify refuses before routing (a bad URL)', async () => {
    const g = await gateway();
    // No route hook runs for a malformed URL: the framework-error path settles the socket.
    const bad = await upgrade(g.httpUrl, '/%E0%A4%A');
    expect(status(bad)).toBe(400);
    expect(bad.text).toContain('"BAD_REQUEST"');
    expect(bad.text.toLowerCase()).toContain('connection: close');
    expect(bad.closedByServer).toBe(true);
    await closesWithin(g, 2000);
  });

  it('close() cuts an upgrade socket still open', async () => {
    const g = await gateway();
    const socket = await rawConnection(g.httpUrl);
    // An accepted upgrade: the socket now belongs to the WebSocket layer.
    await socket.write(upgradeRequest('/v1/subscribe?stream=s'));
    const answer = await until(() => {
      const text = socket.received().toString('latin1');
      return text.includes('\r\n\r\n') && text;
    });
    expect(answer).toMatch(/^HTTP\/1\.1 101/);
    await closesWithin(g, 2000);
    await socket.closed;
  });
});
