// The auth, rate-limit and drain hooks run before the WebSocket upgrade on both ports.
import { afterEach, describe, expect, it } from 'vitest';
import { TWO_TENANTS } from './helpers.js';
import { gatewaysClosedAfterEach } from '../support/gateway.js';
import { ClientPool } from '../support/ws-client.js';

const gateway = gatewaysClosedAfterEach();
const pool = new ClientPool();
afterEach(() => pool.closeAll());

/** Open a socket; resolve with the first frame, or with the HTTP status that refused the upgrade. */
async function attempt(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status?: number; first?: unknown }> {
  try {
    const c = await pool.connect(url, { headers, waitSubscribed: false });
    await c.until(() => c.frames.length > 0, 3000, 'a first frame');
    return { first: c.frames[0] };
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === undefined) throw err;
    return { status };
  }
}

describe('WebSocket upgrade hooks', () => {
  it('401 without a token; Bearer or ?token= opens the subscription, on both ports', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    const httpWs = g.httpUrl.replace('http://', 'ws://');
    for (const base of [g.wsUrl, httpWs]) {
      expect(await attempt(`${base}/v1/subscribe?stream=orders`)).toEqual({ status: 401 });
      expect(await attempt(`${base}/v1/subscribe?stream=orders&token=wrong-token-1`)).toEqual({ status: 401 });
      const viaQuery = await attempt(`${base}/v1/subscribe?stream=orders&token=acme-token-1`);
      expect(viaQuery.first).toMatchObject({ subscribed: { stream: 'orders', credit: 0 } });
      const viaHeader = await attempt(`${base}/v1/subscribe?stream=orders`, { authorization: 'Bearer globex-token-1' });
      expect(viaHeader.first).toMatchObject({ subscribed: { stream: 'orders' } });
    }
  });

  it('refuses upgrades with 503 while draining', async () => {
    const g = await gateway();
    const drained = g.gw.drain(5000);
    expect(await attempt(`${g.wsUrl}/v1/subscribe?stream=orders`)).toEqual({ status: 503 });
    await drained;
  });

  it('counts an upgrade once against the rate limit', async () => {
    const g = await gateway({
      yaml: 'tenants:\n  acme:\n    tokens: [acme-token-1]\n    limits: { rateLimit: 2 }\n',
    });
    const url = `${g.wsUrl}/v1/subscribe?stream=orders&token=acme-token-1`;
    expect((await attempt(url)).first).toBeDefined();
    expect((await attempt(url)).first).toBeDefined();
    expect(await attempt(url)).toEqual({ status: 429 });
  });
});
