// The StreamsEngine contract, run against both engines (memory, and redis on a real
// redis-server child), the way test/blobs/stores.test.ts runs one contract against both
// blob stores. What only one engine does (memory: ids, timers, eviction; redis: reads
// against credit, several instances, CLIENT UNBLOCK, reclaiming) stays in
// memory-engine.test.ts and redis-engine.test.ts. engines.property.test.ts checks the
// same rules on random sequences against a reference model.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamPolicy } from '../../src/gateway/config/resolved.js';
import { GatewayError } from '../../src/gateway/errors.js';
import { MemoryStreamsEngine, type StreamsEngine } from '../../src/gateway/streams/index.js';
import { basePolicy, recordingSink } from './helpers.js';
import { redisEngineFixture } from './redis-fixture.js';
import { until } from '../support/until.js';

const T = 'acme';
const opts = { maxInflight: 1000 };

interface EngineOptions {
  nackMaxDelayMs?: number;
  retryAfterS?: number;
}

interface EngineKind {
  /** An engine (closed after the test) with this policy for every stream. */
  open(policy?: Partial<StreamPolicy>, o?: EngineOptions): Promise<StreamsEngine>;
  /** A stream name not used before in this file. */
  stream(prefix?: string): string;
}

function memoryKind(): EngineKind {
  const engines: StreamsEngine[] = [];
  let n = 0;
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });
  return {
    async open(policy = {}, o = {}) {
      const e = new MemoryStreamsEngine({
        policy: () => ({ ...basePolicy, ...policy }),
        logger: pino({ level: 'silent' }),
        nackMaxDelayMs: o.nackMaxDelayMs ?? 5000,
        retryAfterS: o.retryAfterS,
      });
      engines.push(e);
      return e;
    },
    stream: (prefix = 's') => `${prefix}-${++n}`,
  };
}

function redisKind(): EngineKind {
  const f = redisEngineFixture();
  return {
    open: (policy = {}, o = {}) => f.engine({ ...basePolicy, ...policy }, o),
    stream: (prefix) => f.fresh(prefix),
  };
}

async function fill(e: StreamsEngine, stream: string, n: number, tenant = T): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await e.enqueue(tenant, stream, { i })).id);
  return ids;
}

/** Give an asynchronous engine time to (wrongly) deliver more. */
const quiet = () => new Promise((resolve) => setTimeout(resolve, 50));

/** Poll the stream's stats until `match` holds for them. */
const statsUntil = (
  e: StreamsEngine,
  stream: string,
  match: (s: Awaited<ReturnType<StreamsEngine['stats']>>) => boolean,
) =>
  until(
    async () => {
      const s = await e.stats(T, stream);
      return match(s) ? s : undefined;
    },
    5000,
    'the stream stats to match',
    5,
  );

for (const [name, kind] of [
  ['memory', memoryKind],
  ['redis', redisKind],
] as const) {
  describe(`streams engine contract: ${name}`, () => {
    const k = kind();

    it('delivers first deliveries FIFO and never beyond credit', async () => {
      const e = await k.open();
      const s = k.stream();
      const ids = await fill(e, s, 10);
      const sink = recordingSink();
      const c = e.subscribe(T, s, sink, opts);
      await quiet();
      expect(sink.got).toHaveLength(0);
      c.grant(3);
      await sink.waitFor(3);
      await quiet();
      expect(sink.got.map((m) => m.id)).toEqual(ids.slice(0, 3));
      expect(c.credit).toBe(0);
      for (let i = 0; i < 20; i++) c.grant(1);
      await sink.waitFor(10);
      expect(sink.got.map((m) => m.id)).toEqual(ids);
      expect(c.credit).toBe(13);
      expect(sink.got.every((m) => m.attempt === 1 && m.stream === s)).toBe(true);
      expect(sink.got[0]!.envelope).toEqual({ i: 0 });
    });

    it('caps unsettled in-flight per consumer', async () => {
      const e = await k.open();
      const s = k.stream();
      await fill(e, s, 10);
      const sink = recordingSink();
      const c = e.subscribe(T, s, sink, { maxInflight: 4 });
      c.grant(100);
      await sink.waitFor(4);
      await quiet();
      expect(sink.got).toHaveLength(4);
      expect(c.inflight).toBe(4);
      expect(c.ack(sink.got[0]!.id)).toBe('ok');
      await sink.waitFor(5);
      await quiet();
      expect(sink.got).toHaveLength(5);
    });

    it('ack settles once; unknown and settled ids are "unknown"', async () => {
      const e = await k.open();
      const s = k.stream();
      await fill(e, s, 1);
      const sink = recordingSink();
      const c = e.subscribe(T, s, sink, opts);
      c.grant(1);
      const id = (await sink.waitFor(1))[0]!.id;
      expect(c.ack('nope')).toBe('unknown');
      expect(c.ack(id)).toBe('ok');
      expect(c.ack(id)).toBe('unknown');
      expect(c.nack(id)).toBe('unknown');
      await statsUntil(e, s, (st) => st.acked === 1);
      expect(await e.stats(T, s)).toMatchObject({ depth: 0, inflight: 0, delivered: 1, acked: 1 });
    });

    it('a nack redelivers with the same id and attempt + 1 after the delay; delayed messages count in depth', async () => {
      const e = await k.open();
      const s = k.stream();
      await fill(e, s, 1);
      const sink = recordingSink();
      const c = e.subscribe(T, s, sink, opts);
      c.grant(5);
      const [first] = await sink.waitFor(1);
      const t0 = Date.now();
      expect(c.nack(first!.id, 300)).toBe('ok');
      await statsUntil(e, s, (st) => st.depth === 1 && st.inflight === 0);
      expect(sink.got).toHaveLength(1);
      const [, second] = await sink.waitFor(2);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(295);
      expect(second).toEqual({ ...first, attempt: 2 });
      await statsUntil(e, s, (st) => st.redelivered === 1);
      expect(await e.stats(T, s)).toMatchObject({ nacked: 1, redelivered: 1, delivered: 2, depth: 0, inflight: 1 });
    });

    it('bounds the nack delay by nackMaxDelayMs (CONDUIT_NACK_MAX_DELAY_MS)', async () => {
      const e = await k.open({}, { nackMaxDelayMs: 20 });
      const s = k.stream();
      await fill(e, s, 1);
      const sink = recordingSink();
      const c = e.subscribe(T, s, sink, opts);
      c.grant(2);
      const [first] = await sink.waitFor(1);
      c.nack(first!.id, 3_600_000);
      await sink.waitFor(2, 1500);
      expect(sink.got[1]).toMatchObject({ id: first!.id, attempt: 2 });
    });

    it('redelivers on ack timeout with attempt + 1; the ack settles the redelivery, a second ack is "unknown"', async () => {
      // Attempt 2 is acked right after it arrives: its own timeout must not beat that
      // step on a loaded machine.
      const e = await k.open({ ackTimeoutMs: 600 });
      const s = k.stream();
      const [id] = await fill(e, s, 1);
      const sink = recordingSink();
      const c = e.subscribe(T, s, sink, opts);
      c.grant(2);
      const got = await sink.waitFor(2);
      expect(got.map((m) => [m.id, m.attempt])).toEqual([
        [id, 1],
        [id, 2],
      ]);
      expect(e.totals().timedOut).toBe(1);
      expect(c.ack(id!)).toBe('ok'); // the redelivery is in flight again on this consumer
      expect(c.ack(id!)).toBe('unknown');
    });

    it('returns unsettled messages to the other consumers on close, with attempt + 1', async () => {
      const e = await k.open();
      const s = k.stream();
      const ids = await fill(e, s, 3);
      const a = recordingSink();
      const b = recordingSink();
      const ca = e.subscribe(T, s, a, opts);
      ca.grant(3);
      await a.waitFor(3);
      ca.ack(ids[0]!);
      e.subscribe(T, s, b, opts).grant(10);
      await quiet();
      expect(b.got).toHaveLength(0);
      ca.close();
      await b.waitFor(2);
      expect(b.got.map((m) => [m.id, m.attempt])).toEqual([
        [ids[1], 2],
        [ids[2], 2],
      ]);
      expect(ca.ack(ids[1]!)).toBe('unknown');
    });

    it('closes a consumer whose sink throws (a dead transport) and redelivers its messages elsewhere', async () => {
      const e = await k.open();
      const s = k.stream();
      await fill(e, s, 1);
      const c = e.subscribe(
        T,
        s,
        {
          deliver: () => {
            throw new Error('socket gone');
          },
        },
        opts,
      );
      c.grant(1);
      await statsUntil(e, s, (st) => st.subscribers === 0);
      const sink = recordingSink();
      e.subscribe(T, s, sink, opts).grant(1);
      const [m] = await sink.waitFor(1);
      expect(m!.attempt).toBe(2);
    });

    it('after maxAttempts the message moves to NAME.dlq with its id, envelope and enqueuedAt; NAME.dlq never dead-letters', async () => {
      const e = await k.open({ maxAttempts: 2 });
      const s = k.stream('orders');
      const [id] = await fill(e, s, 1);
      const sink = recordingSink();
      const c = e.subscribe(T, s, sink, opts);
      c.grant(10);
      const [m1] = await sink.waitFor(1);
      c.nack(id!);
      await sink.waitFor(2);
      c.nack(id!);
      await statsUntil(e, s, (st) => st.deadLettered === 1);
      await quiet();
      expect(sink.got.map((m) => m.attempt)).toEqual([1, 2]);
      expect(await e.stats(T, s)).toMatchObject({ depth: 0, inflight: 0, deadLettered: 1, nacked: 2 });
      expect(e.totals().deadLettered).toBe(1);
      expect((await e.stats(T, `${s}.dlq`)).depth).toBe(1);
      const dlq = recordingSink();
      const d = e.subscribe(T, `${s}.dlq`, dlq, opts);
      d.grant(10);
      const [dead] = await dlq.waitFor(1);
      expect(dead).toEqual({ id, stream: `${s}.dlq`, envelope: m1!.envelope, attempt: 1, enqueuedAt: m1!.enqueuedAt });
      for (let attempt = 1; attempt <= 4; attempt++) {
        d.nack(id!);
        await dlq.waitFor(attempt + 1);
      }
      expect(dlq.got.map((m) => m.attempt)).toEqual([1, 2, 3, 4, 5]);
      expect((await e.stats(T, `${s}.dlq`)).deadLettered).toBe(0);
    });

    it('dead-letters on ack timeout of the last attempt too', async () => {
      const e = await k.open({ maxAttempts: 1, ackTimeoutMs: 30 });
      const s = k.stream();
      const [id] = await fill(e, s, 1);
      const sink = recordingSink();
      e.subscribe(T, s, sink, opts).grant(5);
      const dlq = recordingSink();
      e.subscribe(T, `${s}.dlq`, dlq, opts).grant(5);
      const [m] = await dlq.waitFor(1);
      expect(m).toMatchObject({ id, attempt: 1, stream: `${s}.dlq` });
      expect(sink.got).toHaveLength(1);
    });

    it('dead-letters when the consumer holding the last attempt disconnects', async () => {
      const e = await k.open({ maxAttempts: 1 });
      const s = k.stream();
      const [id] = await fill(e, s, 1);
      const sink = recordingSink();
      const c = e.subscribe(T, s, sink, opts);
      c.grant(5);
      await sink.waitFor(1);
      c.close();
      const dlq = recordingSink();
      e.subscribe(T, `${s}.dlq`, dlq, opts).grant(5);
      const [m] = await dlq.waitFor(1);
      expect(m).toMatchObject({ id, attempt: 1, stream: `${s}.dlq` });
      expect(await statsUntil(e, s, (st) => st.deadLettered === 1)).toMatchObject({ depth: 0, inflight: 0 });
    });

    it("dead-lettering ignores the DLQ's maxDepth (refusing would lose the message); producers still get STREAM_FULL there", async () => {
      const e = await k.open({ maxAttempts: 1, maxDepth: 2 });
      const s = k.stream('orders');
      const sink = recordingSink();
      const c = e.subscribe(T, s, sink, opts);
      c.grant(10);
      for (let round = 1; round <= 2; round++) {
        await fill(e, s, 2);
        const got = await sink.waitFor(2 * round);
        for (const m of got.slice(-2)) c.nack(m.id);
        await statsUntil(e, s, (st) => st.deadLettered === 2 * round);
      }
      expect((await e.stats(T, `${s}.dlq`)).depth).toBe(4); // twice its maxDepth
      expect(await e.enqueue(T, `${s}.dlq`, {}).catch((x: unknown) => x)).toMatchObject({ code: 'STREAM_FULL' });
    });

    it('maxDepth: beyond it STREAM_FULL (503, retryAfterS); delayed messages count, in-flight ones do not', async () => {
      const e = await k.open({ maxDepth: 2 });
      const s = k.stream();
      await fill(e, s, 2);
      const full = await e.enqueue(T, s, {}).catch((err: unknown) => err);
      expect(full).toBeInstanceOf(GatewayError);
      expect(full).toMatchObject({ code: 'STREAM_FULL', status: 503, retryAfterS: 1 });
      const sink = recordingSink();
      const c = e.subscribe(T, s, sink, opts);
      c.grant(1);
      const [m] = await sink.waitFor(1);
      await e.enqueue(T, s, {}); // one left the depth by being in flight
      c.nack(m!.id, 4000);
      await statsUntil(e, s, (st) => st.depth === 3);
      await expect(e.enqueue(T, s, {})).rejects.toMatchObject({ code: 'STREAM_FULL' });
    });

    it('STREAM_FULL carries the retryAfterS option', async () => {
      const e = await k.open({ maxDepth: 1 }, { retryAfterS: 7 });
      const s = k.stream();
      await fill(e, s, 1);
      await expect(e.enqueue(T, s, {})).rejects.toMatchObject({ code: 'STREAM_FULL', retryAfterS: 7 });
    });

    it('pause stops delivery without losing credit; resume continues', async () => {
      const e = await k.open();
      const s = k.stream();
      const sink = recordingSink();
      const c = e.subscribe(T, s, sink, opts);
      c.grant(5);
      c.pause();
      await fill(e, s, 3);
      await quiet();
      expect(sink.got).toHaveLength(0);
      c.resume();
      await sink.waitFor(3);
      expect(c.credit).toBe(2);
    });

    it('grant: anything but a positive safe integer is a RangeError; credit saturates; a closed consumer ignores it', async () => {
      const e = await k.open();
      const c = e.subscribe(T, k.stream(), recordingSink(), opts);
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

    it('keeps tenants apart', async () => {
      const e = await k.open();
      const s = k.stream();
      await fill(e, s, 2, 'a');
      const sink = recordingSink();
      e.subscribe('b', s, sink, opts).grant(10);
      await quiet();
      expect(sink.got).toHaveLength(0);
      expect((await e.stats('b', s)).depth).toBe(0);
      expect((await e.stats('a', s)).depth).toBe(2);
    });
  });
}
