// The redis streams engine against a real redis-server child: recovery — drain,
// disconnects, a crashed instance's deliveries reclaimed, FIFO under backpressure,
// duplicate entries, restart, and Redis going away.
import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamPolicy } from '../../src/gateway/config/resolved.js';
import { RedisStreamsEngine, streamKeys } from '../../src/gateway/streams/redis/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { recordingSink } from './helpers.js';
import { opts, policy, redisEngineFixture, T } from './redis-fixture.js';
import { until } from '../support/until.js';

describe('redis streams engine: recovery', () => {
  const f = redisEngineFixture();
  const { engine, fresh, fill, pendingInRedis } = f;

  it('stopDelivery returns unsettled messages (even on their last attempt) for another instance to deliver', async () => {
    const a = await engine({ maxAttempts: 1 });
    const b = await engine({ maxAttempts: 1 });
    const s = fresh();
    const ids = await fill(a, s, 2);
    const sa = recordingSink();
    a.subscribe(T, s, sa, opts).grant(2);
    await sa.waitFor(2);
    await a.stopDelivery();
    expect(a.totals().inflight).toBe(0);
    const sb = recordingSink();
    b.subscribe(T, s, sb, opts).grant(5);
    const got = await sb.waitFor(2);
    expect(got.map((m) => [m.id, m.attempt])).toEqual(ids.map((id) => [id, 2]));
    expect((await b.stats(T, s)).deadLettered).toBe(0);
  });

  it('a disconnected consumer returns its messages at once to a consumer of another engine', async () => {
    const a = await engine();
    const b = await engine();
    const s = fresh();
    const ids = await fill(a, s, 2);
    const sa = recordingSink();
    const ca = a.subscribe(T, s, sa, opts);
    ca.grant(2);
    await sa.waitFor(2);
    const sb = recordingSink();
    b.subscribe(T, s, sb, opts).grant(5);
    ca.close();
    const got = await sb.waitFor(2);
    expect(got.map((m) => [m.id, m.attempt])).toEqual(ids.map((id) => [id, 2]));
  });

  /** An instance gone without a word, in-process: its connections drop without returning anything; its timers die with it. */
  const vanish = (e: RedisStreamsEngine) => {
    e.timers.clear();
    const conns = (e as unknown as { redis: { command: Redis; reader: Redis } }).redis;
    conns.command.disconnect();
    conns.reader.disconnect();
  };

  // An instance that stops without returning its deliveries, in-process (connections
  // dropped, timers gone), so the timing is measurable; the real crash, SIGKILL of a
  // gateway process, is test/faults/kill9.test.ts.
  it('deliveries of an instance gone without a word are reclaimed after the ack timeout and redelivered elsewhere', async () => {
    const fast = { sweepIntervalMs: 50, reclaimGraceMs: 100 };
    const a = await engine({ ackTimeoutMs: 300 }, fast);
    const b = await engine({ ackTimeoutMs: 300 }, fast);
    const s = fresh();
    const [id] = await fill(a, s, 1);
    const sa = recordingSink();
    a.subscribe(T, s, sa, opts).grant(1);
    await sa.waitFor(1);
    vanish(a);
    const t0 = Date.now();
    const sb = recordingSink();
    b.subscribe(T, s, sb, opts).grant(1);
    const [m] = await sb.waitFor(1, 5000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250); // not before ackTimeoutMs + grace (measured by Redis)
    expect([m!.id, m!.attempt]).toEqual([id, 2]);
    expect(await pendingInRedis(s)).toBe(1); // in flight on b now, nothing left on a
  });

  it("a reclaimed delivery that was the message's last attempt goes to NAME.dlq (the sweeper dead-letters it)", async () => {
    const fast = { sweepIntervalMs: 50, reclaimGraceMs: 100 };
    const a = await engine({ ackTimeoutMs: 300, maxAttempts: 1 }, fast);
    const b = await engine({ ackTimeoutMs: 300, maxAttempts: 1 }, fast);
    const s = fresh();
    const [id] = await fill(a, s, 1);
    const sa = recordingSink();
    a.subscribe(T, s, sa, opts).grant(1);
    await sa.waitFor(1);
    vanish(a);
    const sb = recordingSink();
    b.subscribe(T, s, sb, opts).grant(5);
    const dlq = recordingSink();
    b.subscribe(T, `${s}.dlq`, dlq, opts).grant(5);
    const [dead] = await dlq.waitFor(1, 5000);
    expect(dead).toMatchObject({ id, attempt: 1, stream: `${s}.dlq` });
    expect(sb.got).toHaveLength(0); // never delivered again on the stream itself
    expect(await pendingInRedis(s)).toBe(0);
  });

  it("forgets a stopped instance's consumer name once it is idle with nothing pending", async () => {
    const a = await engine();
    const s = fresh();
    await fill(a, s, 1);
    const sa = recordingSink();
    const ca = a.subscribe(T, s, sa, opts);
    ca.grant(1);
    ca.ack((await sa.waitFor(1))[0]!.id);
    const names = async () =>
      ((await f.admin.xinfo('CONSUMERS', streamKeys(T, s).stream, 'conduit')) as string[][]).map((c) => c[1]);
    await until(async () => (await f.admin.xlen(streamKeys(T, s).stream)) === 0 || undefined);
    expect(await names()).toContain(a.consumerName);
    await a.close();
    const b = await engine({}, { sweepIntervalMs: 50, consumerIdleMs: 100 });
    const sb = recordingSink();
    b.subscribe(T, s, sb, opts).grant(1);
    await until(async () => !(await names()).includes(a.consumerName) || undefined);
    await b.enqueue(T, s, 'after');
    expect((await sb.waitFor(1))[0]!.envelope).toBe('after');
  });

  it('first deliveries stay FIFO when a consumer pauses in the middle of a read (socket backpressure)', async () => {
    const e = await engine();
    const s = fresh();
    await fill(e, s, 5);
    const got: unknown[] = [];
    const holder: { c?: ReturnType<RedisStreamsEngine['subscribe']> } = {};
    holder.c = e.subscribe(
      T,
      s,
      {
        deliver(m) {
          got.push(m.envelope);
          if (got.length !== 2) return;
          // The transport pauses after a delivery that filled the socket buffer; a producer
          // enqueues meanwhile; the buffer drains and the consumer resumes.
          holder.c!.pause();
          void e.enqueue(T, s, { i: 5 }).then(() => holder.c!.resume());
        },
      },
      opts,
    );
    holder.c.grant(10); // one read of all 5
    await until(() => got.length === 6 || undefined);
    expect(got).toEqual([0, 1, 2, 3, 4, 5].map((i) => ({ i })));
    expect(await pendingInRedis(s)).toBe(6);
  });

  it('entries read for a consumer paused too long, or closed, go back to the stream undelivered (attempt unchanged)', async () => {
    const e = await engine({}, { reclaimGraceMs: 200 }); // parked at most 100 ms
    const s = fresh();
    const ids = await fill(e, s, 5);
    const sink = recordingSink();
    const holder: { c?: ReturnType<RedisStreamsEngine['subscribe']> } = {};
    holder.c = e.subscribe(
      T,
      s,
      {
        deliver: (m) => {
          sink.deliver(m);
          if (sink.got.length === 2) holder.c!.pause();
        },
      },
      opts,
    );
    holder.c.grant(10);
    await sink.waitFor(2);
    await until(async () => ((await pendingInRedis(s)) === 2 ? true : undefined)); // 3 went back
    holder.c.resume();
    await sink.waitFor(5);
    expect(sink.got.map((m) => [m.id, m.attempt])).toEqual(ids.map((id) => [id, 1]));

    const s2 = fresh();
    const ids2 = await fill(e, s2, 4);
    const other = await engine();
    const o = recordingSink();
    const p = recordingSink();
    holder.c = e.subscribe(
      T,
      s2,
      {
        deliver: (m) => {
          p.deliver(m);
          if (p.got.length === 1) holder.c!.pause();
        },
      },
      opts,
    );
    holder.c.grant(10);
    await p.waitFor(1);
    holder.c.close(); // 1 in flight (attempt 2 next), 3 parked (attempt 1 next)
    other.subscribe(T, s2, o, opts).grant(10);
    const got = await o.waitFor(4);
    expect(got.map((m) => [m.id, m.attempt]).sort()).toEqual(
      [[ids2[0], 2], ...ids2.slice(1).map((id) => [id, 1])].sort(),
    );
  });

  it('a message written twice (one id in two entries) is delivered once here; one ack settles both entries', async () => {
    const e = await engine();
    const s = fresh();
    const key = streamKeys(T, s).stream;
    const [id] = await fill(e, s, 1);
    // Two entries of one message. Our connection no longer resends a command whose reply
    // was lost (redis/connection.ts), but an entry can still be doubled: a client of
    // another version, or a hand-made XADD like this one, must not deliver one id twice.
    const [[, fields]] = (await f.admin.xrange(key, '-', '+')) as Array<[string, string[]]>;
    await f.admin.xadd(key, '*', ...fields!);
    const sink = recordingSink();
    const c = e.subscribe(T, s, sink, opts);
    c.grant(5);
    await sink.waitFor(1);
    // The copy was read in the same batch; a later message shows the read is done.
    const [next] = await fill(e, s, 1);
    await sink.waitFor(2);
    expect(sink.got.map((m) => [m.id, m.attempt])).toEqual([
      [id, 1],
      [next, 1],
    ]);
    expect(c.ack(id!)).toBe('ok');
    expect(c.ack(next!)).toBe('ok');
    await until(async () => (await f.admin.xlen(key)) === 0 || undefined);
    expect(await pendingInRedis(s)).toBe(0);
    expect(e.totals().inflight).toBe(0);
  });

  it('two different messages that share an id are both delivered (only a copy of a message in flight is merged)', async () => {
    const e = await engine();
    const s = fresh();
    const key = streamKeys(T, s).stream;
    const [id] = await fill(e, s, 1);
    const [[, fields]] = (await f.admin.xrange(key, '-', '+')) as Array<[string, string[]]>;
    const other = [...fields!];
    other[other.indexOf('e') + 1] = JSON.stringify({ other: true });
    await f.admin.xadd(key, '*', ...other);
    const sink = recordingSink();
    e.subscribe(T, s, sink, opts).grant(5);
    const got = await sink.waitFor(2);
    expect(got.map((m) => [m.id, m.envelope])).toEqual([
      [id, { i: 0 }],
      [id, { other: true }],
    ]);
  });

  it('a delivery reclaimed from this live instance (ackTimeoutMs shortened by a reload) is not delivered again to it; the ack settles it', async () => {
    let p: StreamPolicy = { ...policy, maxAttempts: 100, ackTimeoutMs: 10_000 };
    const e = new RedisStreamsEngine({
      url: f.redis.url,
      policy: () => p,
      logger: pino({ level: 'silent' }),
      nackMaxDelayMs: 0,
      sweepIntervalMs: 50,
      reclaimGraceMs: 50,
    });
    f.track(e);
    await e.ready();
    const s = fresh();
    const key = streamKeys(T, s).stream;
    const [id] = await fill(e, s, 1);
    const sink = recordingSink();
    const c = e.subscribe(T, s, sink, opts);
    c.grant(5);
    const [first] = await sink.waitFor(1);
    const [[entry1]] = (await f.admin.xrange(key, '-', '+')) as Array<[string, string[]]>;
    p = { ...p, ackTimeoutMs: 1000 }; // the delivery above has a 10 s timer
    // The sweeper returns the entry as a new one (n = 1), which this instance reads again.
    await until(async () => {
      const entries = (await f.admin.xrange(key, '-', '+')) as Array<[string, string[]]>;
      return entries.length === 1 && entries[0]![0] !== entry1 && (await pendingInRedis(s)) === 1 ? true : undefined;
    });
    const [next] = await fill(e, s, 1);
    await sink.waitFor(2);
    expect(sink.got.map((m) => [m.id, m.attempt])).toEqual([
      [id, 1],
      [next, 1],
    ]);
    expect(c.ack(first!.id)).toBe('ok');
    expect(c.ack(next!)).toBe('ok');
    await until(async () => (await f.admin.xlen(key)) === 0 || undefined);
    expect(await pendingInRedis(s)).toBe(0);
    expect(e.totals().inflight).toBe(0);
  });

  it('survives a restart: messages enqueued before close are delivered by a new engine, in order', async () => {
    const a = await engine();
    const s = fresh();
    const ids = await fill(a, s, 3);
    await a.close();
    const b = await engine();
    const sink = recordingSink();
    b.subscribe(T, s, sink, opts).grant(10);
    expect((await sink.waitFor(3)).map((m) => m.id)).toEqual(ids);
  });
});

describe('redis streams engine when Redis goes away', () => {
  let redis: RedisServer;
  let e: RedisStreamsEngine | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await e?.close();
    await redis?.stop();
  });

  it('enqueue and stats answer BACKEND_UNAVAILABLE (503) while it is down; delivery resumes once it is back', async () => {
    e = new RedisStreamsEngine({
      url: redis.url,
      policy: () => policy,
      logger: pino({ level: 'silent' }),
      nackMaxDelayMs: 0,
      commandTimeoutMs: 500,
    });
    await e.ready();
    const sink = recordingSink();
    e.subscribe(T, 'x', sink, opts).grant(5);
    await e.enqueue(T, 'x', 1);
    await sink.waitFor(1);
    await redis.kill();
    const down = await until(async () => {
      const err = await e!.enqueue(T, 'x', 2).then(
        () => undefined,
        (err: unknown) => err,
      );
      return err === undefined ? undefined : err;
    });
    expect(down).toMatchObject({ code: 'BACKEND_UNAVAILABLE', status: 503, retryAfterS: 1 });
    await expect(e.stats(T, 'x')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await redis.restart(); // empty: no persistence
    await until(
      () =>
        e!.enqueue(T, 'x', 3).then(
          () => true,
          () => undefined,
        ),
      8000,
      'an enqueue accepted again',
      50,
    );
    const got = await sink.waitFor(2, 8000);
    expect(got.map((m) => m.envelope)).toEqual([1, 3]);
  });
});

describe('the redis-server test helper', () => {
  it('fails loudly, naming the fix, when redis-server is not installed', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startRedisServer()).rejects.toThrow(
        /redis-server is not installed.*apt-get install -y redis-server/,
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
