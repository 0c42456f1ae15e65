// What only the redis streams engine does, against a real redis-server child: reads
// against credit and the in-flight cap (checked against what is pending in Redis),
// windows larger than one read, several engines sharing a stream, CLIENT UNBLOCK,
// fairness between streams. The delivery rules both engines share (nack delay, ack
// timeout, dead letter, maxDepth, ...) are in engines.contract.test.ts and
// engines.property.test.ts.
import { describe, expect, it } from 'vitest';
import { streamKeys, type RedisStreamsEngine } from '../../src/gateway/streams/redis/index.js';
import { createRng } from '../../src/load/index.js';
import { recordingSink } from './helpers.js';
import { opts, redisEngineFixture, T } from './redis-fixture.js';
import { until } from '../support/until.js';

describe('redis streams engine: delivery rules', () => {
  const f = redisEngineFixture();
  const { engine, fresh, fill, pendingInRedis } = f;

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
    expect(got.map((m) => [m.attempt, m.stream, m.envelope])).toEqual([
      [1, s, { i: 0 }],
      [1, s, { i: 1 }],
      [1, s, { i: 2 }],
    ]);
    for (const id of ids) expect(c.ack(id)).toBe('ok');
    expect(c.ack(ids[0]!)).toBe('unknown');
    await until(async () => (await f.admin.xlen(streamKeys(T, s).stream)) === 0 || undefined);
    expect(await e.stats(T, s)).toEqual({
      stream: s,
      depth: 0,
      inflight: 0,
      delivered: 3,
      acked: 3,
      nacked: 0,
      redelivered: 0,
      deadLettered: 0,
      subscribers: 1,
    });
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
    await until(
      async () =>
        ((await f.admin.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string).includes('cmd=xreadgroup') || undefined,
    );
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
    const p = f.admin.pipeline();
    for (let i = 0; i < backlog; i++)
      p.xadd(streamKeys(T, busy).stream, '*', 'id', `b-${i}`, 'n', '0', 'at', String(Date.now()), 'e', String(i));
    await p.exec();
    const q = recordingSink();
    e.subscribe(T, quiet, q, opts).grant(1);
    await until(
      async () =>
        ((await f.admin.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string).includes('cmd=xreadgroup') || undefined,
    );
    // The busy stream's subscriber settles each delivery at once and grants again, so it
    // always has capacity and every read of it is full: it stays dirty for the whole backlog.
    let busyGot = 0;
    const holder: { c?: ReturnType<RedisStreamsEngine['subscribe']> } = {};
    const settle = (id: string) => {
      holder.c!.ack(id);
      holder.c!.grant(1);
    };
    holder.c = e.subscribe(
      T,
      busy,
      {
        deliver: (m) => {
          busyGot++;
          queueMicrotask(() => settle(m.id));
        },
      },
      opts,
    );
    holder.c.grant(10);
    await until(() => busyGot >= 100 || undefined);
    await e.enqueue(T, quiet, 'hello');
    await q.waitFor(1, 5000);
    expect(busyGot).toBeLessThan(backlog);
    await until(() => busyGot === backlog + 1 || undefined, 20_000);
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

  it('a consumer leaving returns its messages to another instance at once and in order (the local blocked read is cancelled first)', async () => {
    // Found by engines.property.test.ts. The leaving consumer's instance is blocked in a read
    // of the stream (its consumer had room); were the messages returned before that read is
    // cancelled, it would take the first of them, hold it ~parkMaxMs (nobody local has room)
    // and put it back behind the second.
    // parkMaxMs is half the reclaim grace: 5 s here, so "at once" and "after parkMaxMs"
    // stay apart on a loaded machine.
    const grace = { reclaimGraceMs: 10_000 };
    const parkMaxMs = grace.reclaimGraceMs / 2;
    const a = await engine({}, grace);
    const b = await engine({}, grace);
    const s = fresh();
    const leaving = recordingSink();
    const ca = a.subscribe(T, s, leaving, opts);
    a.subscribe(T, s, recordingSink(), opts); // stays, without credit
    ca.grant(5);
    const ids = await fill(a, s, 2);
    await leaving.waitFor(2);
    const other = recordingSink();
    b.subscribe(T, s, other, opts).grant(10);
    // Both instances' readers blocked on the stream.
    const blockedReads = async () =>
      ((await f.admin.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string).split('cmd=xreadgroup').length - 1;
    await until(async () => ((await blockedReads()) >= 2 ? true : undefined));
    const t0 = Date.now();
    ca.close();
    await other.waitFor(2, parkMaxMs);
    expect(Date.now() - t0).toBeLessThan(parkMaxMs / 2);
    expect(other.got.map((m) => [m.id, m.attempt])).toEqual([
      [ids[0], 2],
      [ids[1], 2],
    ]);
  });

  it('two engines, random acks and nacks: every message is acked once and Redis ends empty', async () => {
    const a = await engine({ maxAttempts: 100 });
    const b = await engine({ maxAttempts: 100 });
    const s = fresh();
    const total = 200;
    const acked = new Set<string>();
    const rng = createRng(7);
    const settle = (c: { ack(id: string): unknown; nack(id: string): unknown; grant(n: number): void }) => ({
      deliver(m: { id: string }) {
        // Settle on a later tick, as a client would; grant one more per settled message.
        setImmediate(() => {
          if (rng.next() < 0.3) c.nack(m.id);
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
      const sink = settle({
        ack: (id) => holder.c!.ack(id),
        nack: (id) => holder.c!.nack(id),
        grant: (k) => holder.c!.grant(k),
      });
      holder.c = e.subscribe(T, s, sink, { maxInflight: 5 });
      holder.c.grant(5);
      return holder.c;
    });
    const ids = new Set<string>();
    for (let i = 0; i < total; i++) ids.add((await (i % 2 ? a : b).enqueue(T, s, i)).id);
    await until(() => acked.size === total || undefined, 10_000);
    expect([...acked].sort()).toEqual([...ids].sort());
    await until(async () => ((await a.stats(T, s)).acked === total ? true : undefined));
    expect(await a.stats(T, s)).toMatchObject({ depth: 0, inflight: 0, acked: total, deadLettered: 0 });
    const st = await a.stats(T, s);
    expect(st.delivered).toBe(total + st.redelivered);
    expect(await f.admin.xlen(streamKeys(T, s).stream)).toBe(0);
    expect(consumers.every((c) => c.inflight === 0)).toBe(true);
  });
});
