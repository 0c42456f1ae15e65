// Tenancy, drain, dead peers (ping) and backpressure (slow readers) over real sockets.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { call, enqueue, readJsonLines } from '../gateway/helpers.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ClientPool, SubClient } from '../support/ws-client.js';
import { until } from '../support/until.js';

const TENANTS = `
tenants:
  acme:
    tokens: [acme-token-1]
  globex:
    tokens: [globex-token-1]
`;

describe('WebSocket tenancy, drain, ping and backpressure', () => {
  const pool = new ClientPool();
  let g: TestGateway | undefined;
  const start = async (opts: Parameters<typeof startGateway>[0]) => (g = await startGateway(opts));
  afterEach(async () => {
    await pool.closeAll();
    await g?.close();
    g = undefined;
  });

  it('keeps tenants apart: same stream name, different streams', async () => {
    const gw = await start({ yaml: TENANTS });
    const res = await enqueue(gw.httpUrl, 'orders', { secret: 'acme' }, 'acme-token-1');
    expect(res.status).toBe(200);
    const globex = await pool.connect(`${gw.wsUrl}/v1/subscribe?stream=orders`, { token: 'globex-token-1' });
    globex.credit(10);
    const acme = await pool.connect(`${gw.wsUrl}/v1/subscribe?stream=orders`, { token: 'acme-token-1' });
    acme.credit(10);
    const [d] = await acme.waitDeliveries(1);
    expect(d).toMatchObject({ id: res.body.id, envelope: { secret: 'acme' } });
    await globex.barrier();
    expect(globex.deliveries).toHaveLength(0);
    const gs = await call(`${gw.httpUrl}/v1/stats?stream=orders`, { token: 'globex-token-1' });
    expect(gs.body).toMatchObject({ depth: 0, delivered: 0, subscribers: 1 });
  });

  it('drain stops deliveries, returns unacked messages and closes with DRAINING + 1001', async () => {
    const gw = await start({ env: { CONDUIT_DRAIN_TIMEOUT_MS: 5000, CONDUIT_WS_MAX_INFLIGHT: 3 } });
    for (let i = 0; i < 6; i++) expect((await enqueue(gw.httpUrl, 'jobs', { i })).status).toBe(200);
    const c = await pool.connect(`${gw.wsUrl}/v1/subscribe?stream=jobs`);
    // Credit left over and messages waiting: only the in-flight cap holds deliveries
    // back, so returning the unsettled ones without stopping first would redeliver them.
    c.credit(10);
    const got = await c.waitDeliveries(3);
    c.ack(got[0]!.id);
    await c.waitDeliveries(4);
    await c.barrier();
    const drained = gw.gw.drain(5000);
    const closed = await c.closed;
    expect(closed.code).toBe(1001);
    expect(c.frames.at(-1)?.error?.code).toBe('DRAINING');
    expect(c.deliveries).toHaveLength(4); // nothing delivered during the drain
    expect(await drained).toMatchObject({ drained: true });
    // The three unacked deliveries are back in the stream (with the two never delivered), nothing in flight.
    expect(await gw.gw.ctx.streams.stats('default', 'jobs')).toMatchObject({
      depth: 5,
      inflight: 0,
      acked: 1,
      deadLettered: 0,
      subscribers: 0,
    });
    // New upgrades are refused while draining.
    await expect(SubClient.connect(`${gw.wsUrl}/v1/subscribe?stream=jobs`)).rejects.toMatchObject({ status: 503 });
  });

  it('drops a peer that stops answering pings and returns its messages', async () => {
    const gw = await start({ env: { CONDUIT_WS_PING_INTERVAL_MS: 100 } });
    for (let i = 0; i < 2; i++) await enqueue(gw.httpUrl, 'pinged', { i });
    const c = await pool.connect(`${gw.wsUrl}/v1/subscribe?stream=pinged`);
    c.credit(2);
    await c.waitDeliveries(2);
    // Stop reading: the client never sees the pings, so never answers them.
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const stats = async () => (await call(`${gw.httpUrl}/v1/stats?stream=pinged`)).body;
    const after = await until(async () => {
      const s = await stats();
      return s.inflight === 0 && s.subscribers === 0 ? s : false;
    }, 3000);
    expect(after).toMatchObject({ depth: 2 });
    const lines = await until(async () => {
      const all = await readJsonLines(`${gw.dir}/logs/ws.jsonl`);
      return all.some((l) => l.event === 'ping-timeout') ? all : false;
    });
    expect(lines.find((l) => l.event === 'close')).toMatchObject({ stream: 'pinged', deliveries: 2 });
  });

  it('a slow reader cannot make the gateway buffer without bound (pause on bufferedAmount)', async () => {
    const gw = await start({ env: { CONDUIT_WS_MAX_BUFFERED_BYTES: 64 * 1024, CONDUIT_WS_MAX_CREDIT: 10_000 } });
    const total = 600;
    const blob = 'x'.repeat(50 * 1024);
    // Bulk setup through the engine itself (the HTTP enqueue route is not under test here).
    for (let i = 0; i < total; i++) await gw.gw.ctx.streams.enqueue('default', 'bulk', { i, blob });
    const c = await pool.connect(`${gw.wsUrl}/v1/subscribe?stream=bulk`);
    const raw = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    c.credit(total);
    // Deliveries stop once the kernel buffers and our 64 KiB are full: wait for a plateau.
    let last = -1;
    const plateau = await until(
      async () => {
        const s = await gw.gw.ctx.streams.stats('default', 'bulk');
        const stable = s.delivered === last && s.delivered > 0;
        last = s.delivered;
        return stable ? s : false;
      },
      5000,
      'the deliveries to plateau',
      100,
    );
    expect(plateau.delivered).toBeLessThan(total / 2);
    expect(plateau.depth).toBe(total - plateau.delivered);
    raw.resume();
    await c.waitDeliveries(total, 10_000);
    expect(new Set(c.deliveries.map((d) => d.envelope.i)).size).toBe(total);
  });

  it("a reader that never reads while messages flow: the gateway's socket buffer stays below limit + one frame", async () => {
    const limit = 64 * 1024;
    const gw = await start({ env: { CONDUIT_WS_MAX_BUFFERED_BYTES: limit, CONDUIT_WS_MAX_CREDIT: 10_000 } });
    const total = 600;
    const blob = 'y'.repeat(50 * 1024);
    // The gateway's side of this connection: the upgraded TCP socket, whose writable
    // length is what the WebSocket has accepted but the kernel has not (bufferedAmount).
    const upgraded: Socket[] = [];
    gw.gw.ws.server.on('upgrade', (_req, socket: Socket) => upgraded.push(socket));
    const c = await pool.connect(`${gw.wsUrl}/v1/subscribe?stream=flow`);
    expect(upgraded).toHaveLength(1);
    const server = upgraded[0]!;
    const raw = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    c.credit(total);
    await c.barrier(); // the window is open
    raw.pause(); // the client never reads from now on
    let peak = 0;
    let frameBytes = 0;
    for (let i = 0; i < total; i++) {
      // Each enqueue delivers at once while the connection is not paused; yield to the
      // event loop now and then so the socket could flush if the reader read.
      await gw.gw.ctx.streams.enqueue('default', 'flow', { i, blob });
      peak = Math.max(peak, server.writableLength);
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    const s = await gw.gw.ctx.streams.stats('default', 'flow');
    frameBytes = Buffer.byteLength(
      JSON.stringify({
        deliver: {
          id: 'x'.repeat(24),
          stream: 'flow',
          envelope: { i: total, blob },
          attempt: 1,
          enqueuedAt: Date.now(),
        },
      }),
    );
    // Backpressure engaged (deliveries paused with credit left) and bounded the buffer.
    expect(peak).toBeGreaterThan(limit);
    expect(peak).toBeLessThanOrEqual(limit + frameBytes + 16);
    expect(s.delivered).toBeLessThan(total);
    expect(s.depth).toBe(total - s.delivered);
    raw.resume();
    await c.waitDeliveries(total, 15_000);
    expect(c.deliveries.map((d) => d.envelope.i)).toEqual(Array.from({ length: total }, (_, i) => i));
  });

  it('1011 INTERNAL, and no `subscribed`, when the subscription cannot be started', async () => {
    const gw = await start({});
    await gw.gw.ctx.streams.close(); // the engine refuses new subscriptions from now on
    const c = pool.add(await SubClient.connect(`${gw.wsUrl}/v1/subscribe?stream=broken`, { waitSubscribed: false }));
    const closed = await c.closed;
    expect(closed.code).toBe(1011);
    expect(c.frames).toEqual([{ error: { code: 'INTERNAL', message: expect.any(String) } }]);
    expect(gw.appLines.some((l) => l.msg === 'subscribe failed')).toBe(true);
  });
});
