// Early answers (before the body is read) must reach the client: the gateway reads and
// discards the rest of the body instead of resetting the connection under the client.
import { describe, expect, it } from 'vitest';
import { exchange, httpRequest } from '../support/raw-socket.js';
import { TWO_TENANTS } from './helpers.js';
import { gatewaysClosedAfterEach } from '../support/gateway.js';

const gateway = gatewaysClosedAfterEach();

/** POST a `size`-byte body over a raw socket; what the gateway sent until it closed. */
async function rawPost(base: string, path: string, size: number, headers: Record<string, string>) {
  const body = Buffer.alloc(size, 0x61);
  const res = await exchange(base, httpRequest({ method: 'POST', path, headers, body }), { boundMs: 30_000 });
  expect(res.closedByServer).toBe(true);
  return { text: res.bytes.toString('latin1'), error: res.error };
}

describe('early answers with an unread body', () => {
  it('413 on Content-Length reaches a client still sending', async () => {
    const g = await gateway({ env: { CONDUIT_MAX_JSON_SIZE: 1024 } });
    const res = await rawPost(g.httpUrl, '/v1/enqueue', 16 * 1024 * 1024, { 'content-type': 'application/json' });
    expect(res.text).toMatch(/^HTTP\/1\.1 413/);
    expect(res.text).toContain('"PAYLOAD_TOO_LARGE"');
    expect(res.error).toBeUndefined();
  });

  it('401 before the body reaches a client still sending', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    const res = await rawPost(g.httpUrl, '/v1/enqueue', 16 * 1024 * 1024, { 'content-type': 'application/json' });
    expect(res.text).toMatch(/^HTTP\/1\.1 401/);
    expect(res.text).toContain('"UNAUTHORIZED"');
    expect(res.error).toBeUndefined();
  });
});
