// What only the memory streams engine does: its ids and stats, its exact round robin,
// stopDelivery and its timers, and building the redis engine from the environment. The
// delivery rules both engines share are in engines.contract.test.ts and
// engines.property.test.ts.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { envDefaults } from '../../src/gateway/config/env.js';
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
