// Refusals and close codes: every error frame before its close, auth before the upgrade.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { call, startGateway, type TestGateway } from '../gateway/helpers.js';
import { ClientPool, SubClient } from './client.js';

const YAML = `
tenants:
  acme:
    tokens: [acme-token-1]
    limits:
      maxConnections: 2
  globex:
    tokens: [globex-token-1]
`;
const MAX = 1024;

describe('WebSocket refusals and close codes', () => {
  let g: TestGateway;
  const pool = new ClientPool();
  const url = (stream = 'codes') => `${g.wsUrl}/v1/subscribe?stream=${stream}`;
  const acme = (stream?: string) => pool.connect(url(stream), { token: 'acme-token-1' });

  beforeAll(async () => {
    g = await startGateway({
      yaml: YAML,
      env: { CONDUIT_WS_MAX_MESSAGE_SIZE: MAX, CONDUIT_WS_MAX_FRAMES_PER_S: 50 },
    });
  });
  afterEach(() => pool.closeAll());
  afterAll(() => g?.close());

  async function expectClose(c: SubClient, code: number, errorCode: string) {
    const closed = await c.closed;
    expect(closed.code).toBe(code);
    expect(c.errors.map((e) => e.code)).toContain(errorCode);
    // The error frame is the last frame before the close.
    expect(c.frames.at(-1)?.error?.code).toBe(errorCode);
  }

  it('1003 for an unknown operation (and for binary frames)', async () => {
    const c = await acme();
    c.send({ hello: 1 });
    await expectClose(c, 1003, 'UNKNOWN_OP');
    const b = await acme();
    b.ws.send(Buffer.from('{"credit":1}'), { binary: true });
    await expectClose(b, 1003, 'UNKNOWN_OP');
    const m = await acme();
    m.send({ credit: 1, ack: 'x' }); // two operations in one frame
    await expectClose(m, 1003, 'UNKNOWN_OP');
  });

  it('1007 for invalid JSON', async () => {
    const c = await acme();
    c.send('{"credit": 1');
    await expectClose(c, 1007, 'INVALID_JSON');
  });

  it('1008 when the per-connection frame rate is exceeded', async () => {
    const c = await acme();
    for (let i = 0; i < 120; i++) c.credit(1);
    await expectClose(c, 1008, 'RATE_LIMITED');
  });

  it("1008 CONNECTION_LIMIT beyond the tenant's maxConnections; other tenants are not affected", async () => {
    await acme();
    await acme();
    const third = pool.add(await SubClient.connect(url(), { token: 'acme-token-1', waitSubscribed: false }));
    await expectClose(third, 1008, 'CONNECTION_LIMIT');
    expect(third.frames.some((f) => f.subscribed)).toBe(false);
    const other = await pool.connect(url(), { token: 'globex-token-1' });
    expect(other.frames[0]!.subscribed).toBeTruthy();
  });

  it('1009 for a frame over CONDUIT_WS_MAX_MESSAGE_SIZE, with an error frame (best effort)', async () => {
    const c = await acme();
    c.send({ ack: 'x'.repeat(MAX) }); // a little over the limit: read, refused, error frame
    await expectClose(c, 1009, 'FRAME_TOO_LARGE');
    const huge = await acme();
    huge.send({ ack: 'x'.repeat(4 * MAX) }); // far over: the socket library refuses it unread
    expect((await huge.closed).code).toBe(1009);
  });

  it('authenticates before the upgrade: 401 without or with an unknown token; ?token= works', async () => {
    await expect(SubClient.connect(url())).rejects.toMatchObject({ status: 401 });
    const bad = await SubClient.connect(url(), { token: 'not-a-token-at-all' }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 401 });
    expect(JSON.parse((bad as { body: string }).body).error.code).toBe('UNAUTHORIZED');
    const q = await pool.connect(url(), { token: 'globex-token-1', tokenInQuery: true });
    expect(q.frames[0]).toEqual({ subscribed: { stream: 'codes', credit: 0 } });
  });

  it('validates the stream before the upgrade: 400 bad name, 403 another tenant', async () => {
    const missing = await SubClient.connect(`${g.wsUrl}/v1/subscribe`, { token: 'acme-token-1' }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 400 });
    const badName = await SubClient.connect(url('bad%20name'), { token: 'acme-token-1' }).catch((e: unknown) => e);
    expect(badName).toMatchObject({ status: 400 });
    expect(JSON.parse((badName as { body: string }).body).error.code).toBe('INVALID_STREAM_NAME');
    const foreign = await SubClient.connect(url('tenant:globex/orders'), { token: 'acme-token-1' }).catch((e: unknown) => e);
    expect(foreign).toMatchObject({ status: 403 });
  });

  it('counts close codes in /v1/metrics and /metrics', async () => {
    const c = await acme();
    c.send('nope');
    await c.closed;
    const ws = (await call(`${g.httpUrl}/v1/metrics`)).body.ws;
    expect(ws.closeCodes['1007']).toBeGreaterThanOrEqual(1);
    expect(ws.connections.total).toBeGreaterThanOrEqual(1);
    expect(ws.connections.rejected).toBeGreaterThanOrEqual(1); // CONNECTION_LIMIT above
    const prom = (await call(`${g.httpUrl}/metrics`)).text;
    expect(prom).toMatch(/conduit_ws_close_codes_total\{code="1007"\} [1-9]/);
    expect(prom).toMatch(/conduit_ws_connections_open \d/);
  });

  it('serves /v1/subscribe on the HTTP port too', async () => {
    const ws = new WebSocket(`${g.httpUrl.replace('http', 'ws')}/v1/subscribe?stream=codes`, {
      headers: { authorization: 'Bearer globex-token-1' },
    });
    const c = pool.add(new SubClient(ws));
    await c.until(() => c.frames.some((f) => f.subscribed));
    expect(c.frames[0]!.subscribed!.stream).toBe('codes');
  });
});
