// The redis streams engine against a real redis-server (started here): the delivery
// rules of docs/protocol-ws.md, checked on the engine and in Redis itself (what is
// pending in the group is what was read), across two engines sharing one Redis.
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StreamPolicy } from '../../src/gateway/config/resolved.js';
import { GatewayError } from '../../src/gateway/errors.js';
import { RedisStreamsEngine, streamKeys, type RedisEngineOptions } from '../../src/gateway/streams/redis/index.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { poll } from '../ws/client.js';
import { recordingSink } from './helpers.js';

const T = 'acme';
const opts = { maxInflight: 1000 };
const policy: StreamPolicy = { maxAttempts: 3, ackTimeoutMs: 10_000, maxDepth: 1000 };

describe('redis streams engine', () => {
  let redis: RedisServer;
  let admin: Redis;
  const engines: RedisStreamsEngine[] = [];
  let n = 0;
  const fresh = (prefix = 's') => `${prefix}-${++n}`;

  const engine = async (p: Partial<StreamPolicy> = {}, o: Partial<RedisEngineOptions> = {}) => {
    const e = new RedisStreamsEngine({
      url: redis.url,
      policy: () => ({ ...policy, ...p }),
      logger: pino({ level: 'silent' }),
      nackMaxDelayMs: 5000,
      ...o,
    });
    engines.push(e);
    await e.ready();
    return e;
  };
  const fill = async (e: RedisStreamsEngine, stream: string, count: number) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await e.enqueue(T, stream, { i })).id);
    return ids;
  };
  /** Entries pending in the stream's group: read by some instance and not settled. */
  const pendingInRedis = async (stream: string) => Number(((await admin.xpending(streamKeys(T, stream).stream, 'conduit')) as [number])[0]);

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  it('delivers FIFO, acks delete the entries, stats come from Redis', async () => {
    const e = await engine();
    const s = fresh();
    const ids = await fill(e, s, 3);
    expect(await e.stats(T, s)).toMatchObject({ depth: 3, inflight: 0 });
    const sink = recordingSink();
    const c = e.subscribe(T, s, sink, opts);
    c.grant(10);
    const got = await sink.waitFor(3);
    expect(got.map((m) => m.id)).toEqual(ids);
    expect(got.map((m) => [m.attempt, m.stream, m.envelope])).toEqual([[1, s, { i: 0 }], [1, s, { i: 1 }], [1, s, { i: 2 }]]);
    for (const id of ids) expect(c.ack(id)).toBe('ok');
    expect(c.ack(ids[0]!)).toBe('unknown');
    await poll(async () => (await admin.xlen(streamKeys(T, s).stream)) === 0 || undefined);
    expect(await e.stats(T, s)).toEqual({ stream: s, depth: 0, inflight: 0, delivered: 3, acked: 3, nacked: 0, redelivered: 0, deadLettered: 0, subscribers: 1 });
    expect(e.totals()).toMatchObject({ enqueued: 3, delivered: 3, acked: 3, inflight: 0, subscribers: 1, streams: 1 });
  });

  it('never reads beyond credit or the in-flight cap: what is pending in Redis is what was delivered', async () => {
    const e = await engine();
    const s = fresh();
    const ids = await fill(e, s, 10);
    const sink = recordingSink();
    const c = e.subscribe(T, s, sink, { maxInflight: 4 });
    c.grant(3);
    await sink.waitFor(3);
    expect(await pendingInRedis(s)).toBe(3);
    expect(await e.stats(T, s)).toMatchObject({ depth: 7, inflight: 3 });
    c.grant(5); // credit 5, but only 1 place left below the cap of 4
    await sink.waitFor(4);
    expect(await pendingInRedis(s)).toBe(4);
    expect(c).toMatchObject({ credit: 4, inflight: 4 });
    c.ack(sink.got[0]!.id);
    c.ack(sink.got[1]!.id);
    await sink.waitFor(6);
    expect(await pendingInRedis(s)).toBe(4);
    expect(sink.got).toHaveLength(6);
    expect(c).toMatchObject({ credit: 2, inflight: 4 });
    // An over-read would have been put back at the tail: the order would show it.
    expect(sink.got.map((m) => m.id)).toEqual(ids.slice(0, 6));
    expect(await e.stats(T, s)).toMatchObject({ depth: 4, inflight: 4, delivered: 6, redelivered: 0 });
  });

  it('a window larger than one read (100 entries) is filled over several reads, in order', async () => {
    const e = await engine();
    const s = fresh();
    const ids = await fill(e, s, 250);
    const sink = recordingSink();
    e.subscribe(T, s, sink, opts).grant(240);
    await sink.waitFor(240);
    expect(sink.got.map((m) => m.id)).toEqual(ids.slice(0, 240));
    expect(await e.stats(T, s)).toMatchObject({ depth: 10, inflight: 240 });
  });

  it('two engines on one Redis share a stream: each reads only what its subscriber can take', async () => {
    const a = await engine();
    const b = await engine();
    const s = fresh();
    const ids = await fill(a, s, 6);
    const sa = recordingSink();
    const sb = recordingSink();
    a.subscribe(T, s, sa, opts).grant(2);
    await sa.waitFor(2);
    b.subscribe(T, s, sb, opts).grant(10);
    await sb.waitFor(4);
    expect(sa.got).toHaveLength(2);
    expect([...sa.got, ...sb.got].map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(sa.got.map((m) => m.id)).toEqual(ids.slice(0, 2)); // FIFO
    expect(sb.got.map((m) => m.id)).toEqual(ids.slice(2));
  });

  it('a grant on another stream wakes the reader blocked on the first at once (CLIENT UNBLOCK)', async () => {
    const e = await engine();
    const s1 = fresh();
    const s2 = fresh();
    e.subscribe(T, s1, recordingSink(), opts).grant(5); // nothing there: the reader blocks on s1
    await poll(async () => ((await admin.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string).includes('cmd=xreadgroup') || undefined);
    await fill(e, s2, 1);
    const sink = recordingSink();
    const t0 = Date.now();
    e.subscribe(T, s2, sink, opts).grant(1);
    await sink.waitFor(1);
    expect(Date.now() - t0).toBeLessThan(2500); // a blocking read lasts up to 5 s
  });

  it('a busy stream does not starve a quiet one: a message for the quiet one goes out during the backlog', async () => {
    const e = await engine({ maxDepth: 100_000 });
    const busy = fresh('busy');
    const quiet = fresh('quiet');
    await fill(e, busy, 1); // creates the stream and its group
    const backlog = 3000;
    const p = admin.pipeline();
    for (let i = 0; i < backlog; i++) p.xadd(streamKeys(T, busy).stream, '*', 'id', `b-${i}`, 'n', '0', 'at', String(Date.now()), 'e', String(i));
    await p.exec();
    const q = recordingSink();
    e.subscribe(T, quiet, q, opts).grant(1);
    await poll(async () => ((await admin.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string).includes('cmd=xreadgroup') || undefined);
    // The busy stream's subscriber settles each delivery at once and grants again, so it
    // always has capacity and every read of it is full: it stays dirty for the whole backlog.
    let busyGot = 0;
    const holder: { c?: ReturnType<RedisStreamsEngine['subscribe']> } = {};
    const settle = (id: string) => {
      holder.c!.ack(id);
      holder.c!.grant(1);
    };
    holder.c = e.subscribe(T, busy, { deliver: (m) => (busyGot++, queueMicrotask(() => settle(m.id))) }, opts);
    holder.c.grant(10);
    await poll(() => busyGot >= 100 || undefined);
    await e.enqueue(T, quiet, 'hello');
    await q.waitFor(1, 5000);
    expect(busyGot).toBeLessThan(backlog);
    await poll(() => busyGot === backlog + 1 || undefined, 20_000);
  });

  it('local competing consumers share a stream round robin; a paused one receives nothing until resumed', async () => {
    const e = await engine();
    const s = fresh();
    const ids = await fill(e, s, 6);
    const x = recordingSink();
    const y = recordingSink();
    const cx = e.subscribe(T, s, x, opts);
    const cy = e.subscribe(T, s, y, opts);
    cy.pause();
    cx.grant(2);
    cy.grant(10);
    await x.waitFor(2);
    expect(await pendingInRedis(s)).toBe(2);
    expect(y.got).toHaveLength(0);
    cy.resume();
    await y.waitFor(4);
    expect([...x.got, ...y.got].map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(x.got.map((m) => m.id)).toEqual(ids.slice(0, 2));
  });

  it('two engines, random acks and nacks: every message is acked once and Redis ends empty', async () => {
    const a = await engine({ maxAttempts: 100 });
    const b = await engine({ maxAttempts: 100 });
    const s = fresh();
    const total = 200;
    const acked = new Set<string>();
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const settle = (c: { ack(id: string): unknown; nack(id: string): unknown; grant(n: number): void }) => ({
      deliver(m: { id: string }) {
        // Settle on a later tick, as a client would; grant one more per settled message.
        setImmediate(() => {
          if (random() < 0.3) c.nack(m.id);
          else {
            expect(acked.has(m.id)).toBe(false);
            acked.add(m.id);
            c.ack(m.id);
          }
          c.grant(1);
        });
      },
    });
    const consumers = [a, b, a].map((e) => {
      const holder: { c?: ReturnType<RedisStreamsEngine['subscribe']> } = {};
      const sink = settle({ ack: (id) => holder.c!.ack(id), nack: (id) => holder.c!.nack(id), grant: (k) => holder.c!.grant(k) });
      holder.c = e.subscribe(T, s, sink, { maxInflight: 5 });
      holder.c.grant(5);
      return holder.c;
    });
    const ids = new Set<string>();
    for (let i = 0; i < total; i++) ids.add((await (i % 2 ? a : b).enqueue(T, s, i)).id);
    await poll(() => acked.size === total || undefined, 10_000);
    expect([...acked].sort()).toEqual([...ids].sort());
    await poll(async () => ((await a.stats(T, s)).acked === total ? true : undefined));
    expect(await a.stats(T, s)).toMatchObject({ depth: 0, inflight: 0, acked: total, deadLettered: 0 });
    const st = await a.stats(T, s);
    expect(st.delivered).toBe(total + st.redelivered);
    expect(await admin.xlen(streamKeys(T, s).stream)).toBe(0);
    expect(consumers.every((c) => c.inflight === 0)).toBe(true);
  });

  it('a nack with a delay redelivers after the delay with attempt 2; delayed messages count in depth', async () => {
    const e = await engine();
    const s = fresh();
    const [id] = await fill(e, s, 1);
    const sink = recordingSink();
    const c = e.subscribe(T, s, sink, opts);
    c.grant(5);
    const [first] = await sink.waitFor(1);
    const t0 = Date.now();
    expect(c.nack(id!, 600)).toBe('ok');
    await poll(async () => ((await e.stats(T, s)).depth === 1 ? true : undefined), 500, 10);
    expect(sink.got).toHaveLength(1);
    const got = await sink.waitFor(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(595);
    expect(got[1]).toEqual({ ...first, attempt: 2 });
    expect(await e.stats(T, s)).toMatchObject({ depth: 0, inflight: 1, delivered: 2, nacked: 1, redelivered: 1 });
  });

  it('an ack timeout redelivers with attempt 2; the late ack is unknown', async () => {
    const e = await engine({ ackTimeoutMs: 200 });
    const s = fresh();
    const [id] = await fill(e, s, 1);
    const sink = recordingSink();
    const c = e.subscribe(T, s, sink, opts);
    c.grant(2);
    await sink.waitFor(1);
    const got = await sink.waitFor(2);
    expect(got.map((m) => [m.id, m.attempt])).toEqual([[id, 1], [id, 2]]);
    expect(e.totals().timedOut).toBe(1);
    expect(c.ack(id!)).toBe('ok'); // the redelivery is in flight again on this consumer
    expect(c.ack(id!)).toBe('unknown');
  });

  it('after maxAttempts the message moves to NAME.dlq with its id, envelope and enqueuedAt; NAME.dlq never dead-letters', async () => {
    const e = await engine({ maxAttempts: 2 });
    const s = fresh('orders');
    const [id] = await fill(e, s, 1);
    const sink = recordingSink();
    const c = e.subscribe(T, s, sink, opts);
    c.grant(5);
    const [m1] = await sink.waitFor(1);
    c.nack(id!);
    await sink.waitFor(2);
    c.nack(id!);
    await poll(async () => ((await e.stats(T, s)).deadLettered === 1 ? true : undefined));
    expect(await e.stats(T, s)).toMatchObject({ depth: 0, inflight: 0, deadLettered: 1, nacked: 2 });
    expect(e.totals().deadLettered).toBe(1);
    const dlqSink = recordingSink();
    const d = e.subscribe(T, `${s}.dlq`, dlqSink, opts);
    d.grant(5);
    const [dead] = await dlqSink.waitFor(1);
    expect(dead).toEqual({ id, stream: `${s}.dlq`, envelope: m1!.envelope, attempt: 1, enqueuedAt: m1!.enqueuedAt });
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(dlqSink.got[attempt - 1]!.attempt).toBe(attempt);
      d.nack(id!);
      await dlqSink.waitFor(attempt + 1);
    }
    expect((await e.stats(T, `${s}.dlq`)).deadLettered).toBe(0);
  });

  it('maxDepth: enqueue beyond it is STREAM_FULL (503, Retry-After); delayed messages count, in-flight ones do not', async () => {
    const e = await engine({ maxDepth: 2 });
    const s = fresh();
    await fill(e, s, 2);
    const full = await e.enqueue(T, s, {}).catch((err: unknown) => err);
    expect(full).toBeInstanceOf(GatewayError);
    expect(full).toMatchObject({ code: 'STREAM_FULL', status: 503, retryAfterS: 1 });
    const sink = recordingSink();
    const c = e.subscribe(T, s, sink, opts);
    c.grant(1);
    const [m] = await sink.waitFor(1);
    await e.enqueue(T, s, {}); // one left the depth by being in flight
    c.nack(m!.id, 5000);
    await poll(async () => ((await e.stats(T, s)).depth === 3 ? true : undefined));
    await expect(e.enqueue(T, s, {})).rejects.toMatchObject({ code: 'STREAM_FULL' });
  });

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

  it('deliveries of a crashed instance are reclaimed after the ack timeout and redelivered elsewhere', async () => {
    const fast = { sweepIntervalMs: 50, reclaimGraceMs: 100 };
    const a = await engine({ ackTimeoutMs: 300 }, fast);
    const b = await engine({ ackTimeoutMs: 300 }, fast);
    const s = fresh();
    const [id] = await fill(a, s, 1);
    const sa = recordingSink();
    a.subscribe(T, s, sa, opts).grant(1);
    await sa.waitFor(1);
    // A crash: its connections drop without returning anything; its timers die with it.
    a.timers.clear();
    const conns = (a as unknown as { redis: { command: Redis; reader: Redis } }).redis;
    conns.command.disconnect();
    conns.reader.disconnect();
    const t0 = Date.now();
    const sb = recordingSink();
    b.subscribe(T, s, sb, opts).grant(1);
    const [m] = await sb.waitFor(1, 5000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250); // not before ackTimeoutMs + grace (measured by Redis)
    expect([m!.id, m!.attempt]).toEqual([id, 2]);
    expect(await pendingInRedis(s)).toBe(1); // in flight on b now, nothing left on a
  });

  it("forgets a stopped instance's consumer name once it is idle with nothing pending", async () => {
    const a = await engine();
    const s = fresh();
    await fill(a, s, 1);
    const sa = recordingSink();
    const ca = a.subscribe(T, s, sa, opts);
    ca.grant(1);
    ca.ack((await sa.waitFor(1))[0]!.id);
    const names = async () => ((await admin.xinfo('CONSUMERS', streamKeys(T, s).stream, 'conduit')) as string[][]).map((c) => c[1]);
    await poll(async () => (await admin.xlen(streamKeys(T, s).stream)) === 0 || undefined);
    expect(await names()).toContain(a.consumerName);
    await a.close();
    const b = await engine({}, { sweepIntervalMs: 50, consumerIdleMs: 100 });
    const sb = recordingSink();
    b.subscribe(T, s, sb, opts).grant(1);
    await poll(async () => !(await names()).includes(a.consumerName) || undefined);
    await b.enqueue(T, s, 'after');
    expect((await sb.waitFor(1))[0]!.envelope).toBe('after');
  });

  it('first deliveries stay FIFO when a consumer pauses in the middle of a read (socket backpressure)', async () => {
    const e = await engine();
    const s = fresh();
    await fill(e, s, 5);
    const got: unknown[] = [];
    const holder: { c?: ReturnType<RedisStreamsEngine['subscribe']> } = {};
    holder.c = e.subscribe(T, s, {
      deliver(m) {
        got.push(m.envelope);
        if (got.length !== 2) return;
        // The transport pauses after a delivery that filled the socket buffer; a producer
        // enqueues meanwhile; the buffer drains and the consumer resumes.
        holder.c!.pause();
        void e.enqueue(T, s, { i: 5 }).then(() => holder.c!.resume());
      },
    }, opts);
    holder.c.grant(10); // one read of all 5
    await poll(() => got.length === 6 || undefined);
    expect(got).toEqual([0, 1, 2, 3, 4, 5].map((i) => ({ i })));
    expect(await pendingInRedis(s)).toBe(6);
  });

  it('entries read for a consumer paused too long, or closed, go back to the stream undelivered (attempt unchanged)', async () => {
    const e = await engine({}, { reclaimGraceMs: 200 }); // parked at most 100 ms
    const s = fresh();
    const ids = await fill(e, s, 5);
    const sink = recordingSink();
    const holder: { c?: ReturnType<RedisStreamsEngine['subscribe']> } = {};
    holder.c = e.subscribe(T, s, { deliver: (m) => (sink.deliver(m), sink.got.length === 2 && holder.c!.pause()) }, opts);
    holder.c.grant(10);
    await sink.waitFor(2);
    await poll(async () => ((await pendingInRedis(s)) === 2 ? true : undefined)); // 3 went back
    holder.c.resume();
    await sink.waitFor(5);
    expect(sink.got.map((m) => [m.id, m.attempt])).toEqual(ids.map((id) => [id, 1]));

    const s2 = fresh();
    const ids2 = await fill(e, s2, 4);
    const other = await engine();
    const o = recordingSink();
    const p = recordingSink();
    holder.c = e.subscribe(T, s2, { deliver: (m) => (p.deliver(m), p.got.length === 1 && holder.c!.pause()) }, opts);
    holder.c.grant(10);
    await p.waitFor(1);
    holder.c.close(); // 1 in flight (attempt 2 next), 3 parked (attempt 1 next)
    other.subscribe(T, s2, o, opts).grant(10);
    const got = await o.waitFor(4);
    expect(got.map((m) => [m.id, m.attempt]).sort()).toEqual([[ids2[0], 2], ...ids2.slice(1).map((id) => [id, 1])].sort());
  });

  it('a message written twice (an enqueue resent after a lost reply) is delivered once here; one ack settles both entries', async () => {
    const e = await engine();
    const s = fresh();
    const key = streamKeys(T, s).stream;
    const [id] = await fill(e, s, 1);
    // What ioredis does when the connection drops after Redis ran the enqueue script but
    // before the reply arrived: it sends the script again, so the same message is added twice.
    const [[, fields]] = (await admin.xrange(key, '-', '+')) as Array<[string, string[]]>;
    await admin.xadd(key, '*', ...fields!);
    const sink = recordingSink();
    const c = e.subscribe(T, s, sink, opts);
    c.grant(5);
    await sink.waitFor(1);
    // The copy was read in the same batch; a later message shows the read is done.
    const [next] = await fill(e, s, 1);
    await sink.waitFor(2);
    expect(sink.got.map((m) => [m.id, m.attempt])).toEqual([[id, 1], [next, 1]]);
    expect(c.ack(id!)).toBe('ok');
    expect(c.ack(next!)).toBe('ok');
    await poll(async () => (await admin.xlen(key)) === 0 || undefined);
    expect(await pendingInRedis(s)).toBe(0);
    expect(e.totals().inflight).toBe(0);
  });

  it('two different messages that share an id are both delivered (only a copy of a message in flight is merged)', async () => {
    const e = await engine();
    const s = fresh();
    const key = streamKeys(T, s).stream;
    const [id] = await fill(e, s, 1);
    const [[, fields]] = (await admin.xrange(key, '-', '+')) as Array<[string, string[]]>;
    const other = [...fields!];
    other[other.indexOf('e') + 1] = JSON.stringify({ other: true });
    await admin.xadd(key, '*', ...other);
    const sink = recordingSink();
    e.subscribe(T, s, sink, opts).grant(5);
    const got = await sink.waitFor(2);
    expect(got.map((m) => [m.id, m.envelope])).toEqual([[id, { i: 0 }], [id, { other: true }]]);
  });

  it('a delivery reclaimed from this live instance (ackTimeoutMs shortened by a reload) is not delivered again to it; the ack settles it', async () => {
    let p: StreamPolicy = { ...policy, maxAttempts: 100, ackTimeoutMs: 10_000 };
    const e = new RedisStreamsEngine({
      url: redis.url,
      policy: () => p,
      logger: pino({ level: 'silent' }),
      nackMaxDelayMs: 0,
      sweepIntervalMs: 50,
      reclaimGraceMs: 50,
    });
    engines.push(e);
    await e.ready();
    const s = fresh();
    const key = streamKeys(T, s).stream;
    const [id] = await fill(e, s, 1);
    const sink = recordingSink();
    const c = e.subscribe(T, s, sink, opts);
    c.grant(5);
    const [first] = await sink.waitFor(1);
    const [[entry1]] = (await admin.xrange(key, '-', '+')) as Array<[string, string[]]>;
    p = { ...p, ackTimeoutMs: 1000 }; // the delivery above has a 10 s timer
    // The sweeper returns the entry as a new one (n = 1), which this instance reads again.
    await poll(async () => {
      const entries = (await admin.xrange(key, '-', '+')) as Array<[string, string[]]>;
      return entries.length === 1 && entries[0]![0] !== entry1 && (await pendingInRedis(s)) === 1 ? true : undefined;
    });
    const [next] = await fill(e, s, 1);
    await sink.waitFor(2);
    expect(sink.got.map((m) => [m.id, m.attempt])).toEqual([[id, 1], [next, 1]]);
    expect(c.ack(first!.id)).toBe('ok');
    expect(c.ack(next!)).toBe('ok');
    await poll(async () => (await admin.xlen(key)) === 0 || undefined);
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
    e = new RedisStreamsEngine({ url: redis.url, policy: () => policy, logger: pino({ level: 'silent' }), nackMaxDelayMs: 0, commandTimeoutMs: 500 });
    await e.ready();
    const sink = recordingSink();
    e.subscribe(T, 'x', sink, opts).grant(5);
    await e.enqueue(T, 'x', 1);
    await sink.waitFor(1);
    await redis.kill();
    const down = await poll(async () => {
      const err = await e!.enqueue(T, 'x', 2).then(() => undefined, (err: unknown) => err);
      return err === undefined ? undefined : err;
    });
    expect(down).toMatchObject({ code: 'BACKEND_UNAVAILABLE', status: 503, retryAfterS: 1 });
    await expect(e.stats(T, 'x')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await redis.restart(); // empty: no persistence
    await poll(() => e!.enqueue(T, 'x', 3).then(() => true, () => undefined), 8000, 50);
    const got = await sink.waitFor(2, 8000);
    expect(got.map((m) => m.envelope)).toEqual([1, 3]);
  });
});

describe('the redis-server test helper', () => {
  it('fails loudly, naming the fix, when redis-server is not installed', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startRedisServer()).rejects.toThrow(/redis-server is not installed.*apt-get install -y redis-server/);
    } finally {
      process.env.PATH = path;
    }
  });
});
