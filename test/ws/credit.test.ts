// Credit flow over real sockets: strict windows, concurrent grants, FIFO, bad credit.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, enqueue } from '../gateway/helpers.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ClientPool } from '../support/ws-client.js';

describe('WebSocket credit flow', () => {
  let g: TestGateway;
  const pool = new ClientPool();
  let n = 0;
  const fresh = () => `credit-${++n}`;
  const sub = (stream: string, opts?: Parameters<ClientPool['connect']>[1]) =>
    pool.connect(`${g.wsUrl}/v1/subscribe?stream=${stream}`, opts);
  const fill = async (stream: string, count: number) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const res = await enqueue(g.httpUrl, stream, { i });
      expect(res.status).toBe(200);
      ids.push(res.body.id);
    }
    return ids;
  };

  beforeAll(async () => {
    g = await startGateway({ env: { CONDUIT_WS_MAX_CREDIT: 500 } });
  });
  afterEach(() => pool.closeAll());
  afterAll(() => g?.close());

  it('grant 3 with 10 queued → exactly 3, in FIFO order, and no 4th', async () => {
    const s = fresh();
    const ids = await fill(s, 10);
    const c = await sub(s);
    expect(c.frames[0]).toEqual({ subscribed: { stream: s, credit: 0 } });
    c.credit(3);
    const got = await c.waitDeliveries(3);
    await c.barrier();
    await new Promise((r) => setTimeout(r, 150)); // a short window in which a 4th must not appear
    expect(c.deliveries).toHaveLength(3);
    expect(got.map((d) => d.id)).toEqual(ids.slice(0, 3));
    expect(got.map((d) => d.envelope)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(got.every((d) => d.attempt === 1 && d.stream === s && typeof d.enqueuedAt === 'number')).toBe(true);
    const stats = await call(`${g.httpUrl}/v1/stats?stream=${s}`);
    expect(stats.body).toMatchObject({ depth: 7, inflight: 3, delivered: 3, subscribers: 1 });
    c.credit(2);
    await c.waitDeliveries(5);
    expect(c.deliveries.map((d) => d.id)).toEqual(ids.slice(0, 5));
  });

  it('20 concurrent credit frames never over-deliver', async () => {
    const s = fresh();
    await fill(s, 60);
    const clients = await Promise.all([sub(s), sub(s), sub(s)]);
    // Every client fires 20 frames of credit 1 at once, from the same tick.
    for (const c of clients) for (let i = 0; i < 20; i++) c.credit(1);
    await Promise.all(clients.map((c) => c.waitDeliveries(20)));
    await Promise.all(clients.map((c) => c.barrier()));
    for (const c of clients) expect(c.deliveries).toHaveLength(20);
    const all = clients.flatMap((c) => c.deliveries.map((d) => d.id));
    expect(new Set(all).size).toBe(60);
    // With credit exhausted, more messages wait.
    await fill(s, 5);
    for (const c of clients) await c.barrier();
    for (const c of clients) expect(c.deliveries).toHaveLength(20);
    expect((await call(`${g.httpUrl}/v1/stats?stream=${s}`)).body).toMatchObject({ depth: 5, inflight: 60 });
  });

  it('concurrent grants racing concurrent enqueues: deliveries never exceed credit', async () => {
    const s = fresh();
    const clients = await Promise.all(Array.from({ length: 4 }, () => sub(s)));
    const grants = [7, 13, 3, 20];
    const producing = fill(s, 60);
    clients.forEach((c, i) => {
      for (let k = 0; k < grants[i]!; k++) c.credit(1);
    });
    await producing;
    await Promise.all(clients.map((c, i) => c.waitDeliveries(grants[i]!)));
    for (const c of clients) await c.barrier();
    clients.forEach((c, i) => {
      expect(c.deliveries).toHaveLength(grants[i]!);
    });
  });

  it('refuses bad credit with INVALID_CREDIT and keeps the connection open', async () => {
    const s = fresh();
    await fill(s, 2);
    const c = await sub(s);
    for (const bad of [0, -1, 1.5, '3', null, 501, 1e9]) c.send({ credit: bad });
    await c.until(() => c.errors.length === 7, 3000, '7 error frames');
    expect(c.errors.every((e) => e.code === 'INVALID_CREDIT' && e.message.includes('500'))).toBe(true);
    expect(c.deliveries).toHaveLength(0);
    c.credit(500); // the maximum is fine
    await c.waitDeliveries(2);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
  });

  it('handles frames sent before `subscribed` arrived, in order', async () => {
    const s = fresh();
    const ids = await fill(s, 3);
    const c = await sub(s, {
      waitSubscribed: false,
      onOpen: (client) => {
        client.credit(2);
        client.ack(ids[0]!); // not yet delivered when sent, but handled after the credit: ok
      },
    });
    await c.waitDeliveries(2);
    await c.barrier();
    expect(c.frames[0]!.subscribed).toBeTruthy();
    expect(c.errors).toEqual([]); // the ack found ids[0] in flight
    // The ack freed nothing in credit terms: exactly 2 deliveries.
    expect(c.deliveries.map((d) => d.id)).toEqual(ids.slice(0, 2));
    expect((await call(`${g.httpUrl}/v1/stats?stream=${s}`)).body).toMatchObject({ acked: 1, inflight: 1 });
  });
});
