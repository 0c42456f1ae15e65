// The gateway with CONDUIT_STREAMS_BACKEND=redis, over real sockets, against a real
// redis-server started here: the WebSocket delivery rules on one gateway, then two
// gateways sharing one Redis (enqueue on one, deliver on the other; a disconnect on one
// redelivers on the other), a restart, and an outage of Redis.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, enqueue, expectError } from '../gateway/helpers.js';
import { gatewaysClosedAfterEach, type TestGateway } from '../support/gateway.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { ClientPool } from '../support/ws-client.js';
import { until } from '../support/until.js';

const YAML = `
streams:
  "slow*":
    ackTimeoutMs: 200
  "patient*":
    ackTimeoutMs: 1500
  "poison*":
    maxAttempts: 2
  "tiny*":
    maxDepth: 2
`;

describe('gateway with the redis streams backend', () => {
  let redis: RedisServer;
  const start = gatewaysClosedAfterEach();
  const pool = new ClientPool();
  let n = 0;
  const fresh = (prefix = 's') => `${prefix}-${++n}`;
  const gateway = () => start({ yaml: YAML, env: { CONDUIT_STREAMS_BACKEND: 'redis', CONDUIT_REDIS_URL: redis.url } });
  const sub = (g: TestGateway, stream: string) =>
    pool.connect(`${g.wsUrl}/v1/subscribe?stream=${encodeURIComponent(stream)}`);
  const stats = async (g: TestGateway, stream: string) =>
    (await call(`${g.httpUrl}/v1/stats?stream=${encodeURIComponent(stream)}`)).body;
  const put = async (g: TestGateway, stream: string, envelope: unknown = { hello: 'world' }) => {
    const res = await enqueue(g.httpUrl, stream, envelope);
    expect(res.status, res.text).toBe(200);
    return res.body.id as string;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterEach(() => pool.closeAll());
  afterAll(() => redis?.stop());

  it('enqueue → subscribe → deliver → ack; stats, /health and /v1/metrics work', async () => {
    const g = await gateway();
    const s = fresh();
    const id = await put(g, s, { sku: 'A-1' });
    const c = await sub(g, s);
    expect(c.frames[0]).toEqual({ subscribed: { stream: s, credit: 0 } });
    c.credit(5);
    const [d] = await c.waitDeliveries(1);
    expect(d).toMatchObject({ id, stream: s, envelope: { sku: 'A-1' }, attempt: 1 });
    expect(typeof d!.enqueuedAt).toBe('number');
    c.ack(id);
    await until(async () => ((await stats(g, s)).acked === 1 ? true : undefined));
    expect(await stats(g, s)).toEqual({
      stream: s,
      depth: 0,
      inflight: 0,
      delivered: 1,
      acked: 1,
      nacked: 0,
      redelivered: 0,
      deadLettered: 0,
      subscribers: 1,
    });
    expect((await call(`${g.httpUrl}/health`)).status).toBe(200);
    const metrics = (await call(`${g.httpUrl}/v1/metrics`)).body;
    expect(metrics.ws).toMatchObject({ delivered: 1, acked: 1 });
  });

  it('credit is strict: 2 credits, 5 messages → 2 deliveries, 2 pending in Redis, 3 waiting', async () => {
    const g = await gateway();
    const s = fresh();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await put(g, s, i));
    const c = await sub(g, s);
    c.credit(2);
    await c.waitDeliveries(2);
    // What is pending in the group is what this gateway read: nothing beyond the credit.
    expect(await stats(g, s)).toMatchObject({ depth: 3, inflight: 2, delivered: 2 });
    await c.barrier();
    expect(c.deliveries.map((d) => d.id)).toEqual(ids.slice(0, 2));
    c.credit(1);
    await c.waitDeliveries(3);
    expect(await stats(g, s)).toMatchObject({ depth: 2, inflight: 3 });
    expect(c.deliveries.map((d) => d.id)).toEqual(ids.slice(0, 3));
  });

  it('nack redelivers the same id with attempt 2 after the delay', async () => {
    const g = await gateway();
    const s = fresh();
    const id = await put(g, s, { n: 1 });
    const c = await sub(g, s);
    c.credit(5);
    const [first] = await c.waitDeliveries(1);
    const t0 = Date.now();
    c.nack(id, 150);
    const [, second] = await c.waitDeliveries(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(145);
    expect(second).toEqual({ ...first, attempt: 2 });
    await until(async () => ((await stats(g, s)).nacked === 1 ? true : undefined));
    expect(await stats(g, s)).toMatchObject({ nacked: 1, redelivered: 1, inflight: 1, depth: 0 });
  });

  it('an ack timeout (ackTimeoutMs 1500) redelivers the same id with attempt 2; an ack of attempt 2 settles it', async () => {
    const g = await gateway();
    const s = fresh('patient'); // long enough for the ack of attempt 2 to beat its own timeout
    const id = await put(g, s);
    const c = await sub(g, s);
    c.credit(2);
    const got = await c.waitDeliveries(2, 8000);
    expect(got.map((d) => [d.id, d.attempt])).toEqual([
      [id, 1],
      [id, 2],
    ]);
    const times = c.frames.flatMap((f, i) => (f.deliver ? [c.at[i]!] : []));
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1450);
    c.ack(id);
    await until(async () => ((await stats(g, s)).acked === 1 ? true : undefined));
    expect(await stats(g, s)).toMatchObject({ depth: 0, inflight: 0, delivered: 2, redelivered: 1 });
  });

  it('after maxAttempts the message is in NAME.dlq with its id and envelope', async () => {
    const g = await gateway();
    const s = fresh('poison');
    const id = await put(g, s, { bad: true });
    const c = await sub(g, s);
    c.credit(5);
    await c.waitDeliveries(1);
    c.nack(id);
    await c.waitDeliveries(2);
    c.nack(id);
    await until(async () => ((await stats(g, s)).deadLettered === 1 ? true : undefined));
    const d = await sub(g, `${s}.dlq`);
    d.credit(1);
    const [dead] = await d.waitDeliveries(1);
    expect(dead).toMatchObject({ id, stream: `${s}.dlq`, envelope: { bad: true }, attempt: 1 });
    expect(c.deliveries).toHaveLength(2);
    const lines = g.appLines.filter((l) => l.msg === 'message dead-lettered');
    expect(lines).toEqual([expect.objectContaining({ stream: s, id, attempts: 2, reason: 'nack', dlq: `${s}.dlq` })]);
  });

  it('maxDepth: the third enqueue answers 503 STREAM_FULL with Retry-After', async () => {
    const g = await gateway();
    const s = fresh('tiny');
    await put(g, s);
    await put(g, s);
    const res = await enqueue(g.httpUrl, s, {});
    expectError(res, 503, 'STREAM_FULL');
    expect(res.headers['retry-after']).toBe('1');
  });

  it('two gateways on one Redis: enqueued on A, delivered to a subscriber on B, acked there', async () => {
    const a = await gateway();
    const b = await gateway();
    const s = fresh();
    const c = await sub(b, s);
    c.credit(10);
    const ids = [await put(a, s, 1), await put(a, s, 2), await put(a, s, 3)];
    const got = await c.waitDeliveries(3);
    expect(got.map((d) => [d.id, d.envelope, d.attempt])).toEqual([
      [ids[0], 1, 1],
      [ids[1], 2, 1],
      [ids[2], 3, 1],
    ]);
    for (const id of ids) c.ack(id);
    await until(async () => ((await stats(a, s)).acked === 3 ? true : undefined));
    expect(await stats(a, s)).toMatchObject({ depth: 0, inflight: 0, delivered: 3, acked: 3, subscribers: 0 });
    expect((await stats(b, s)).subscribers).toBe(1);
  });

  it('a subscriber on A disconnects with messages in flight: a subscriber on B receives them with attempt 2', async () => {
    const a = await gateway();
    const b = await gateway();
    const s = fresh();
    const ids = [await put(a, s, 1), await put(a, s, 2)];
    const ca = await sub(a, s);
    ca.credit(2);
    await ca.waitDeliveries(2);
    const cb = await sub(b, s);
    cb.credit(10);
    await cb.barrier();
    expect(cb.deliveries).toHaveLength(0);
    ca.ws.terminate();
    const got = await cb.waitDeliveries(2);
    expect(got.map((d) => [d.id, d.attempt])).toEqual(ids.map((id) => [id, 2]));
  });

  it('durable across a restart: messages enqueued on a gateway that then closes are delivered by a new one', async () => {
    const s = fresh();
    const a = await gateway();
    const ids = [await put(a, s, 'x'), await put(a, s, 'y')];
    // One delivered and unsettled when A drains: it returns to the stream too.
    const ca = await sub(a, s);
    ca.credit(1);
    await ca.waitDeliveries(1);
    await a.gw.drain(2000);
    await a.close();
    const b = await gateway();
    const cb = await sub(b, s);
    cb.credit(10);
    const got = await cb.waitDeliveries(2);
    expect(got.map((d) => d.id).sort()).toEqual([...ids].sort());
    expect(got.find((d) => d.id === ids[0])!.attempt).toBe(2);
    expect(got.find((d) => d.id === ids[1])!.attempt).toBe(1);
  });
});

describe('gateway with the redis backend when Redis goes away', () => {
  let redis: RedisServer;
  const start = gatewaysClosedAfterEach();
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  it('enqueue answers 503 BACKEND_UNAVAILABLE with Retry-After while Redis is down, 200 once it is back; /health shows it', async () => {
    const g = await start({ env: { CONDUIT_STREAMS_BACKEND: 'redis', CONDUIT_REDIS_URL: redis.url } });
    const health = async () => {
      const res = await fetch(`${g.httpUrl}/health`);
      return { code: res.status, body: (await res.json()) as { streams: { backend: string; status: string } } };
    };
    expect(await health()).toMatchObject({ code: 200, body: { streams: { backend: 'redis', status: 'ok' } } });
    expect((await enqueue(g.httpUrl, 'q', 1)).status).toBe(200);
    await redis.kill();
    const res = await until(async () => {
      const r = await enqueue(g.httpUrl, 'q', 2);
      return r.status === 503 ? r : undefined;
    });
    expectError(res, 503, 'BACKEND_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('1');
    // Still serving (drain is what makes /health 503); the backend is shown unreachable.
    const down = await until(async () => {
      const h = await health();
      return h.body.streams.status === 'unavailable' ? h : undefined;
    });
    expect(down).toMatchObject({ code: 200, body: { streams: { backend: 'redis', status: 'unavailable' } } });
    const outage = g.appLines.filter((l) => /^redis connection (lost|failed)/.test(String(l.msg)));
    expect(outage.length).toBeGreaterThan(0);
    expect(outage.every((l) => l.level === 'error' && l.redis === redis.url)).toBe(true);
    await redis.restart();
    await until(
      async () => ((await enqueue(g.httpUrl, 'q', 3)).status === 200 ? true : undefined),
      8000,
      'an enqueue accepted again',
      50,
    );
    await until(() => (g.appLines.some((l) => l.msg === 'redis connection restored') ? true : undefined));
    expect(await until(async () => ((await health()).body.streams.status === 'ok' ? true : undefined))).toBe(true);
  });

  it('refuses to start when Redis cannot be reached, naming where it tried', async () => {
    await expect(
      start({
        env: {
          CONDUIT_STREAMS_BACKEND: 'redis',
          CONDUIT_REDIS_URL: `${redis.url}.missing`,
          CONDUIT_REDIS_CONNECT_TIMEOUT_MS: 300,
        },
      }),
    ).rejects.toThrow(/cannot reach Redis at .*redis\.sock\.missing within 300 ms/);
  });
});
