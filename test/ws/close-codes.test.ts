// Refusals and close codes: every error frame before its close, auth before the upgrade.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../gateway/helpers.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ClientPool, SubClient } from '../support/ws-client.js';
import { until } from '../support/until.js';

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
    const missing = await SubClient.connect(`${g.wsUrl}/v1/subscribe`, { token: 'acme-token-1' }).catch(
      (e: unknown) => e,
    );
    expect(missing).toMatchObject({ status: 400 });
    const badName = await SubClient.connect(url('bad%20name'), { token: 'acme-token-1' }).catch((e: unknown) => e);
    expect(badName).toMatchObject({ status: 400 });
    expect(JSON.parse((badName as { body: string }).body).error.code).toBe('INVALID_STREAM_NAME');
    const foreign = await SubClient.connect(url('tenant:globex/orders'), { token: 'acme-token-1' }).catch(
      (e: unknown) => e,
    );
    expect(foreign).toMatchObject({ status: 403 });
  });

  it("counts close codes and refused connections in /v1/metrics and /metrics: this test's own, exactly", async () => {
    type WsMetrics = {
      closeCodes: Record<string, number>;
      connections: { total: number; rejected: number; open: number };
    };
    const metrics = async () => (await call(`${g.httpUrl}/v1/metrics`)).body.ws as WsMetrics;
    const promCount = async () =>
      Number(
        /conduit_ws_close_codes_total\{code="1007"\} (\d+)/.exec((await call(`${g.httpUrl}/metrics`)).text)?.[1] ?? 0,
      );
    const before = await metrics();
    const promBefore = await promCount();
    // One 1007 close (a frame that is not JSON), on a tenant without a connection cap …
    const c = await pool.connect(url(), { token: 'globex-token-1' });
    c.send('nope');
    expect((await c.closed).code).toBe(1007);
    // … and one refusal: acme connections until one is beyond maxConnections 2 (earlier
    // tests' sockets may still be counted for a moment after they closed).
    let refused = false;
    for (let i = 0; i < 4 && !refused; i++) {
      const first = await pool
        .connect(url(), { token: 'acme-token-1', waitSubscribed: false })
        .then((next) => next.until(() => next.frames.length > 0, 3000, 'a first frame').then(() => next.frames[0]!))
        .catch(() => undefined);
      refused = first?.error?.code === 'CONNECTION_LIMIT';
    }
    expect(refused).toBe(true);
    const after = await until(async () => {
      const m = await metrics();
      return (m.closeCodes['1007'] ?? 0) > (before.closeCodes['1007'] ?? 0) &&
        m.connections.rejected > before.connections.rejected
        ? m
        : undefined;
    });
    expect((after.closeCodes['1007'] ?? 0) - (before.closeCodes['1007'] ?? 0)).toBe(1);
    expect(after.connections.rejected - before.connections.rejected).toBe(1);
    expect(after.connections.total - before.connections.total).toBeGreaterThanOrEqual(2);
    expect((await promCount()) - promBefore).toBe(1);
    expect((await call(`${g.httpUrl}/metrics`)).text).toMatch(/conduit_ws_connections_open \d/);
  });

  it('serves /v1/subscribe on the HTTP port too', async () => {
    const c = await pool.connect(`${g.httpUrl.replace('http', 'ws')}/v1/subscribe?stream=codes`, {
      token: 'globex-token-1',
    });
    expect(c.frames[0]!.subscribed!.stream).toBe('codes');
  });
});
