import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { envDefaults } from '../../src/gateway/config/env.js';
import { GatewayError } from '../../src/gateway/errors.js';
import { createStreamsEngine, type MemoryStreamsEngine } from '../../src/gateway/streams/index.js';
import { RedisStreamsEngine } from '../../src/gateway/streams/redis/index.js';
import type { StreamsEngine } from '../../src/gateway/streams/index.js';
import pino from 'pino';
import { makeEngine, recordingSink } from './helpers.js';

const T = 'acme';
const opts = { maxInflight: 1000 };

describe('memory streams engine', () => {
  const engines: StreamsEngine[] = [];
  const engine = async (...args: Parameters<typeof makeEngine>) => {
    const e = await makeEngine(...args);
    engines.push(e);
    return e;
  };
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });

  async function fill(e: StreamsEngine, stream: string, n: number, tenant = T): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await e.enqueue(tenant, stream, { i })).id);
    return ids;
  }

  it('enqueue returns unique sortable ids and stats count the depth', async () => {
    const e = await engine();
    const ids = await fill(e, 'orders', 50);
    expect(new Set(ids).size).toBe(50);
    expect([...ids].sort()).toEqual(ids);
    expect(await e.stats(T, 'orders')).toEqual({
      stream: 'orders',
      depth: 50,
      inflight: 0,
      delivered: 0,
      acked: 0,
      nacked: 0,
      redelivered: 0,
      deadLettered: 0,
      subscribers: 0,
    });
    expect((await e.stats(T, 'never-used')).depth).toBe(0);
    expect(e.totals()).toMatchObject({ enqueued: 50, depth: 50, streams: 1 });
  });

  it('refuses beyond maxDepth with STREAM_FULL + retryAfterS; in-flight messages do not count', async () => {
    const e = await engine({ maxDepth: 3 });
    await fill(e, 's', 3);
    const err = await e.enqueue(T, 's', {}).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('STREAM_FULL');
    expect((err as GatewayError).status).toBe(503);
    expect((err as GatewayError).retryAfterS).toBeGreaterThan(0);
    const sink = recordingSink();
    e.subscribe(T, 's', sink, opts).grant(2);
    expect(sink.got).toHaveLength(2);
    await fill(e, 's', 2); // depth 1 + 2 = 3 again
    await expect(e.enqueue(T, 's', {})).rejects.toMatchObject({ code: 'STREAM_FULL' });
  });

  it('delivers first deliveries FIFO and never beyond credit', async () => {
    const e = await engine();
    const ids = await fill(e, 's', 10);
    const sink = recordingSink();
    const c = e.subscribe(T, 's', sink, opts);
    expect(sink.got).toHaveLength(0);
    c.grant(3);
    expect(sink.got.map((m) => m.id)).toEqual(ids.slice(0, 3));
    expect(c.credit).toBe(0);
    for (let i = 0; i < 20; i++) c.grant(1);
    expect(sink.got.map((m) => m.id)).toEqual(ids.slice(0, 10));
    expect(c.credit).toBe(13);
    expect(sink.got.every((m) => m.attempt === 1 && m.stream === 's')).toBe(true);
    expect(sink.got[0]!.envelope).toEqual({ i: 0 });
  });

  it('caps unsettled in-flight per consumer', async () => {
    const e = await engine();
    await fill(e, 's', 10);
    const sink = recordingSink();
    const c = e.subscribe(T, 's', sink, { maxInflight: 4 });
    c.grant(100);
    expect(sink.got).toHaveLength(4);
    expect(c.inflight).toBe(4);
    expect(c.ack(sink.got[0]!.id)).toBe('ok');
    expect(sink.got).toHaveLength(5);
  });

  it('shares a stream between competing consumers round-robin', async () => {
    const e = await engine();
    const a = recordingSink();
    const b = recordingSink();
    e.subscribe(T, 's', a, opts).grant(100);
    e.subscribe(T, 's', b, opts).grant(100);
    await fill(e, 's', 10);
    expect(a.got).toHaveLength(5);
    expect(b.got).toHaveLength(5);
    expect((await e.stats(T, 's')).subscribers).toBe(2);
  });

  it('ack settles once; unknown and settled ids are "unknown"', async () => {
    const e = await engine();
    await fill(e, 's', 1);
    const sink = recordingSink();
    const c = e.subscribe(T, 's', sink, opts);
    c.grant(1);
    const id = sink.got[0]!.id;
    expect(c.ack('nope')).toBe('unknown');
    expect(c.ack(id)).toBe('ok');
    expect(c.ack(id)).toBe('unknown');
    expect(c.nack(id)).toBe('unknown');
    expect(await e.stats(T, 's')).toMatchObject({ depth: 0, inflight: 0, delivered: 1, acked: 1 });
  });

  it('nack redelivers with the same id and attempt + 1, after the delay', async () => {
    const e = await engine();
    await fill(e, 's', 1);
    const sink = recordingSink();
    const c = e.subscribe(T, 's', sink, opts);
    c.grant(5);
    const first = sink.got[0]!;
    const t0 = Date.now();
    expect(c.nack(first.id, 60)).toBe('ok');
    expect((await e.stats(T, 's')).depth).toBe(1); // delayed counts in depth
    const [, second] = await sink.waitFor(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(59);
    expect(second).toMatchObject({ id: first.id, attempt: 2, enqueuedAt: first.enqueuedAt });
    expect(await e.stats(T, 's')).toMatchObject({ nacked: 1, redelivered: 1, delivered: 2, depth: 0, inflight: 1 });
  });

  it('bounds the nack delay by CONDUIT_NACK_MAX_DELAY_MS', async () => {
    const e = await engine({}, { CONDUIT_NACK_MAX_DELAY_MS: 20 });
    await fill(e, 's', 1);
    const sink = recordingSink();
    const c = e.subscribe(T, 's', sink, opts);
    c.grant(2);
    c.nack(sink.got[0]!.id, 3_600_000);
    await sink.waitFor(2, 1000);
    expect(sink.got[1]!.attempt).toBe(2);
  });

  it('redelivers on ack timeout, and a late ack is "unknown"', async () => {
    const e = await engine({ ackTimeoutMs: 30 });
    await fill(e, 's', 1);
    const sink = recordingSink();
    const c = e.subscribe(T, 's', sink, opts);
    c.grant(2);
    const [first] = sink.got;
    await sink.waitFor(2);
    expect(sink.got[1]).toMatchObject({ id: first!.id, attempt: 2 });
    expect(c.ack(first!.id)).toBe('ok'); // the id is held again (attempt 2)
    expect(c.ack(first!.id)).toBe('unknown');
    expect(e.totals().timedOut).toBe(1);
  });

  it('returns unsettled messages to other consumers on close', async () => {
    const e = await engine();
    const ids = await fill(e, 's', 3);
    const a = recordingSink();
    const b = recordingSink();
    const ca = e.subscribe(T, 's', a, opts);
    ca.grant(3);
    ca.ack(ids[0]!);
    e.subscribe(T, 's', b, opts).grant(10);
    expect(b.got).toHaveLength(0);
    ca.close();
    expect(b.got.map((m) => [m.id, m.attempt])).toEqual([
      [ids[1], 2],
      [ids[2], 2],
    ]);
    expect(ca.ack(ids[1]!)).toBe('unknown');
  });

  it('dead-letters after maxAttempts to NAME.dlq with the same id; the DLQ is never dead-lettered', async () => {
    const e = await engine({ maxAttempts: 2 });
    const [id] = await fill(e, 'orders', 1);
    const sink = recordingSink();
    const c = e.subscribe(T, 'orders', sink, opts);
    c.grant(10);
    c.nack(id!);
    expect(sink.got.map((m) => m.attempt)).toEqual([1, 2]);
    c.nack(id!);
    expect(sink.got).toHaveLength(2);
    expect(await e.stats(T, 'orders')).toMatchObject({ depth: 0, inflight: 0, deadLettered: 1 });
    expect((await e.stats(T, 'orders.dlq')).depth).toBe(1);
    const dlq = recordingSink();
    const d = e.subscribe(T, 'orders.dlq', dlq, opts);
    d.grant(10);
    for (let i = 0; i < 4; i++) d.nack(id!);
    expect(dlq.got.map((m) => [m.id, m.stream, m.attempt])).toEqual([1, 2, 3, 4, 5].map((a) => [id, 'orders.dlq', a]));
    expect((await e.stats(T, 'orders.dlq')).deadLettered).toBe(0);
    expect(e.totals().deadLettered).toBe(1);
  });

  it("dead-lettering ignores the DLQ's maxDepth (refusing would lose the message); producers still get STREAM_FULL there", async () => {
    const e = await engine({ maxAttempts: 1, maxDepth: 2 });
    const sink = recordingSink();
    const c = e.subscribe(T, 'orders', sink, opts);
    c.grant(10);
    for (let round = 0; round < 2; round++) {
      for (const id of await fill(e, 'orders', 2)) c.nack(id);
    }
    expect(sink.got).toHaveLength(4);
    expect((await e.stats(T, 'orders.dlq')).depth).toBe(4); // twice its maxDepth
    expect(await e.enqueue(T, 'orders.dlq', {}).catch((x: unknown) => x)).toMatchObject({ code: 'STREAM_FULL' });
  });

  it('grant: anything but a positive safe integer is a RangeError; credit saturates at MAX_SAFE_INTEGER; a closed consumer ignores it', async () => {
    const e = await engine();
    const c = e.subscribe(T, 'credit', recordingSink(), opts);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => c.grant(bad), String(bad)).toThrow(RangeError);
    }
    expect(c.credit).toBe(0);
    c.grant(Number.MAX_SAFE_INTEGER);
    c.grant(Number.MAX_SAFE_INTEGER);
    expect(c.credit).toBe(Number.MAX_SAFE_INTEGER);
    c.close();
    expect(() => c.grant(5)).not.toThrow();
  });

  it('dead-letters on ack timeout of the last attempt too', async () => {
    const e = await engine({ maxAttempts: 1, ackTimeoutMs: 20 });
    const [id] = await fill(e, 's', 1);
    const sink = recordingSink();
    e.subscribe(T, 's', sink, opts).grant(5);
    const dlq = recordingSink();
    e.subscribe(T, 's.dlq', dlq, opts).grant(5);
    const [m] = await dlq.waitFor(1);
    expect(m).toMatchObject({ id, attempt: 1, stream: 's.dlq' });
    expect(sink.got).toHaveLength(1);
  });

  it('pause stops delivery without losing credit; resume continues', async () => {
    const e = await engine();
    const sink = recordingSink();
    const c = e.subscribe(T, 's', sink, opts);
    c.grant(5);
    c.pause();
    await fill(e, 's', 3);
    expect(sink.got).toHaveLength(0);
    c.resume();
    expect(sink.got).toHaveLength(3);
    expect(c.credit).toBe(2);
  });

  it('keeps tenants apart', async () => {
    const e = await engine();
    await fill(e, 's', 2, 'a');
    const sink = recordingSink();
    e.subscribe('b', 's', sink, opts).grant(10);
    expect(sink.got).toHaveLength(0);
    expect((await e.stats('b', 's')).depth).toBe(0);
    expect((await e.stats('a', 's')).depth).toBe(2);
  });

  it('stopDelivery returns unsettled messages and delivers nothing more; close clears timers', async () => {
    const e = await engine();
    await fill(e, 's', 4);
    const sink = recordingSink();
    const c = e.subscribe(T, 's', sink, opts);
    c.grant(2);
    c.nack(sink.got[0]!.id, 10_000);
    await e.stopDelivery();
    expect(await e.stats(T, 's')).toMatchObject({ depth: 4, inflight: 0 });
    c.grant(10);
    await fill(e, 's', 1);
    expect(sink.got).toHaveLength(2);
    expect((e as MemoryStreamsEngine).timers.size).toBe(1); // the delayed nack
    await e.close();
    expect((e as MemoryStreamsEngine).timers.size).toBe(0);
    await expect(e.enqueue(T, 's', {})).rejects.toMatchObject({ code: 'DRAINING' });
  });

  it('leaves no timers behind once everything is settled', async () => {
    const e = (await engine()) as MemoryStreamsEngine;
    const sink = recordingSink();
    const c = e.subscribe(
      T,
      's',
      {
        deliver: (m) => {
          sink.deliver(m);
          c.ack(m.id);
        },
      },
      opts,
    );
    c.grant(5000);
    await fill(e, 's', 5000);
    await sink.waitFor(5000);
    expect(e.timers.size).toBe(0);
    expect(e.totals()).toMatchObject({ delivered: 5000, acked: 5000, inflight: 0, depth: 0 });
  });

  it('closes a consumer whose sink throws and redelivers its messages elsewhere', async () => {
    const e = await engine();
    await fill(e, 's', 1);
    const c = e.subscribe(
      T,
      's',
      {
        deliver: () => {
          throw new Error('socket gone');
        },
      },
      opts,
    );
    c.grant(1);
    expect((await e.stats(T, 's')).subscribers).toBe(0);
    const sink = recordingSink();
    e.subscribe(T, 's', sink, opts).grant(1);
    expect(sink.got[0]!.attempt).toBe(2);
  });

  it('builds the redis engine for CONDUIT_STREAMS_BACKEND=redis; ready() names an unreachable Redis', async () => {
    const e = await createStreamsEngine({
      env: envDefaults({
        CONDUIT_STREAMS_BACKEND: 'redis',
        CONDUIT_REDIS_URL: join(tmpdir(), `conduit-no-redis-${process.pid}.sock`),
        CONDUIT_REDIS_CONNECT_TIMEOUT_MS: 200,
      }),
      policy: () => ({ maxAttempts: 1, ackTimeoutMs: 100, maxDepth: 1 }),
      logger: pino({ level: 'silent' }),
    });
    try {
      expect(e).toBeInstanceOf(RedisStreamsEngine);
      await expect(e.ready?.()).rejects.toThrow(/cannot reach Redis at .*conduit-no-redis/);
    } finally {
      await e.close();
    }
  });
});
