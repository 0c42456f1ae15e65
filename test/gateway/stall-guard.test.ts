// A request that stops moving after its headers holds no socket for good: a body that
// stalls is answered 408 REQUEST_TIMEOUT in the error shape and its connection closes; a
// body that keeps moving slowly is never cut; an open WebSocket is not affected. Raw
// sockets (no client library lets a body stall on purpose), a short configured timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, readJsonLines } from './helpers.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { rawConnection } from '../support/raw-socket.js';
import { until } from '../support/until.js';
import { SubClient } from '../support/ws-client.js';

const IDLE_MS = 300;

/** Connect, send `head`, and collect everything the gateway sends until it closes. */
async function rawRequest(g: TestGateway, head: string) {
  const conn = await rawConnection(g.httpUrl);
  const sentAt = Date.now();
  await conn.write(head);
  return { ...conn, sentAt, text: () => conn.received().toString('utf8') };
}

const POST = (length: number) =>
  `POST /v1/enqueue HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer acme-token-1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('stalled requests', () => {
  let g: TestGateway;
  beforeAll(async () => {
    g = await startGateway({
      yaml: 'tenants:\n  acme:\n    tokens: [acme-token-1]\n',
      env: { CONDUIT_HTTP_IDLE_TIMEOUT_MS: IDLE_MS, CONDUIT_LOG_FLUSH_MS: 0 },
    });
  });
  afterAll(() => g?.close());

  it('a body that stops after 20 of 100 bytes: 408 REQUEST_TIMEOUT in the error shape, connection closed, logged as 408', async () => {
    const r = await rawRequest(g, `${POST(100)}{"to":"q","envelope"`);
    const closedAt = await r.closed;
    expect(closedAt - r.sentAt).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(closedAt - r.sentAt).toBeLessThan(IDLE_MS + 5000);
    const text = r.text();
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(text.toLowerCase()).toContain('connection: close');
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('REQUEST_TIMEOUT');
    expect(body.error.message).toMatch(/No bytes for 300 ms/);
    const line = await until(async () => (await readJsonLines(g.httpLog)).find((l) => l.status === 408));
    expect(line).toMatchObject({ method: 'POST', path: '/v1/enqueue', status: 408, code: 'REQUEST_TIMEOUT' });
    // Nothing was enqueued, and the gateway answers the next request.
    expect((await call(`${g.httpUrl}/v1/stats?stream=q`, { token: 'acme-token-1' })).body).toMatchObject({ depth: 0 });
    expect((await call(`${g.httpUrl}/health`)).status).toBe(200);
  });

  it('a body that keeps moving, a few bytes at a time, slower than the timeout in all: answered 200', async () => {
    const body = JSON.stringify({ to: 'slow', envelope: { n: 1 } });
    const r = await rawRequest(g, POST(Buffer.byteLength(body)));
    // 10 pieces, one every IDLE_MS / 3: the whole body takes ~3 idle timeouts, no gap reaches one.
    const pieces = body.match(/.{1,3}/g)!;
    const step = Math.ceil(pieces.length / 10);
    for (let i = 0; i < pieces.length; i += step) {
      await r.write(pieces.slice(i, i + step).join(''));
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS / 3));
    }
    const answered = await until(() => (r.text().includes('\r\n\r\n{') ? r.text() : undefined), 5000);
    expect(answered).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    r.socket.destroy();
  });

  it('an open WebSocket idle for several timeouts stays open', async () => {
    const c = await SubClient.connect(`${g.wsUrl}/v1/subscribe?stream=idle`, { token: 'acme-token-1' });
    // No frame in either direction for 4 idle timeouts; the gateway's ping interval (30 s) is far off.
    const outcome = await Promise.race([
      c.closed.then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('open'), 4 * IDLE_MS)),
    ]);
    expect(outcome).toBe('open');
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    await c.close();
  });
});
