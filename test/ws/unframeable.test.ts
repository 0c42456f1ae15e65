// A message that cannot be framed for delivery (here an envelope nested 10,000 arrays
// deep, already in the stream from before the enqueue depth check or written by another
// producer) must never wedge its stream: it goes to NAME.dlq with reason `unframeable`,
// the subscriber stays connected, keeps its credit and receives the next message, and
// the stats say so. One body, run against both engines.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT } from '../../src/gateway/config/resolved.js';
import { GROUP, streamKeys } from '../../src/gateway/streams/redis/keys.js';
import { call, enqueue } from '../gateway/helpers.js';
import { gatewaysClosedAfterEach, type TestGateway } from '../support/gateway.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { ClientPool } from '../support/ws-client.js';
import { until } from '../support/until.js';

const DEPTH = 10_000;
const deepJson = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;

interface Backend {
  name: string;
  env(): Record<string, string>;
  /** Put the unframeable message at the head of `stream`, bypassing the HTTP depth check. */
  inject(g: TestGateway, stream: string): Promise<string>;
  /** The reason recorded with the dead letter, where the engine stores one. */
  reasonInDlq?(stream: string): Promise<string | undefined>;
}

let redis: RedisServer | undefined;
let admin: Redis | undefined;

const backends: Backend[] = [
  {
    name: 'memory',
    env: () => ({}),
    async inject(g, stream) {
      // The engine never inspects an envelope: a parsed deep value goes in as it is.
      return (await g.gw.ctx.streams.enqueue(DEFAULT_TENANT, stream, JSON.parse(deepJson))).id;
    },
  },
  {
    name: 'redis',
    env: () => ({ CONDUIT_STREAMS_BACKEND: 'redis', CONDUIT_REDIS_URL: redis!.url }),
    async inject(_g, stream) {
      // As another producer (or an older gateway) would have written it.
      const k = streamKeys(DEFAULT_TENANT, stream);
      await admin!.xgroup('CREATE', k.stream, GROUP, '0', 'MKSTREAM');
      const id = `poison-${stream}`;
      await admin!.xadd(k.stream, '*', 'id', id, 'n', '0', 'at', String(Date.now()), 'e', deepJson);
      return id;
    },
    async reasonInDlq(stream) {
      const entries = await admin!.xrange(streamKeys(DEFAULT_TENANT, `${stream}.dlq`).stream, '-', '+');
      const fields = entries[0]?.[1] ?? [];
      const i = fields.indexOf('r');
      return i >= 0 ? fields[i + 1] : undefined;
    },
  },
];

beforeAll(async () => {
  redis = await startRedisServer();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});

describe.each(backends)('an unframeable message on the $name engine', (b) => {
  const start = gatewaysClosedAfterEach();
  const pool = new ClientPool();
  let n = 0;
  afterEach(() => pool.closeAll());
  const stats = async (g: TestGateway, stream: string) =>
    (await call(`${g.httpUrl}/v1/stats?stream=${encodeURIComponent(stream)}`)).body;

  it('goes to NAME.dlq (unframeable); the subscriber stays, keeps its credit and gets the next message', async () => {
    const g = await start({ env: b.env() });
    const s = `unframeable-${b.name}-${++n}`;
    const poisonId = await b.inject(g, s);
    const ok = await enqueue(g.httpUrl, s, { n: 1 });
    expect(ok.status, ok.text).toBe(200);
    const c = await pool.connect(`${g.wsUrl}/v1/subscribe?stream=${s}`);
    c.credit(1); // one credit: if the poison message used it, the ordinary one would never come
    const [d] = await c.waitDeliveries(1);
    expect(d).toMatchObject({ id: ok.body.id, envelope: { n: 1 }, attempt: 1 });
    expect(c.deliveries.map((x) => x.id)).not.toContain(poisonId);
    c.ack(d!.id);
    await until(async () => ((await stats(g, s)).acked === 1 ? true : undefined));
    expect(await stats(g, s)).toMatchObject({
      depth: 0,
      inflight: 0,
      delivered: 1,
      acked: 1,
      redelivered: 0,
      deadLettered: 1,
      subscribers: 1,
    });
    expect(await stats(g, `${s}.dlq`)).toMatchObject({ depth: 1 });
    // Logged once, with the reason; no token in the line.
    const lines = g.appLines.filter((l) => l.msg === 'message dead-lettered' && l.id === poisonId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reason: 'unframeable', stream: s, dlq: `${s}.dlq` });
    if (b.reasonInDlq) expect(await b.reasonInDlq(s)).toBe('unframeable');
    // Still subscribed: the stream goes on delivering to it.
    c.credit(1);
    const next = await enqueue(g.httpUrl, s, { n: 2 });
    const [, d2] = await c.waitDeliveries(2);
    expect(d2).toMatchObject({ id: next.body.id, envelope: { n: 2 } });
    expect(c.ws.readyState).toBe(c.ws.OPEN);
  });

  it('on a .dlq stream (which never dead-letters) is held back, and the messages behind it are delivered', async () => {
    const g = await start({ env: b.env() });
    const s = `unframeable-${b.name}-${++n}.dlq`;
    const poisonId = await b.inject(g, s);
    const ok = await enqueue(g.httpUrl, s, { n: 1 });
    expect(ok.status, ok.text).toBe(200);
    const c = await pool.connect(`${g.wsUrl}/v1/subscribe?stream=${s}`);
    c.credit(1);
    const [d] = await c.waitDeliveries(1);
    expect(d).toMatchObject({ id: ok.body.id, envelope: { n: 1 } });
    expect(c.deliveries.map((x) => x.id)).not.toContain(poisonId);
    // Still there (held back, counted in depth), not dead-lettered further, not delivered.
    await until(async () => ((await stats(g, s)).inflight === 1 ? true : undefined));
    expect(await stats(g, s)).toMatchObject({ depth: 1, inflight: 1, delivered: 1, deadLettered: 0, subscribers: 1 });
    expect(c.ws.readyState).toBe(c.ws.OPEN);
  });
});
