// The memory engine's bounds over long runs: nothing per message is kept once it is
// settled (queues, in-flight maps, timers), and idle streams are forgotten so a client
// naming ever new streams cannot grow the engine without bound.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStreamsEngine, type MemoryEngineOptions } from '../../src/gateway/streams/index.js';
import type { StreamMessage } from '../../src/gateway/streams/index.js';
import { basePolicy } from './helpers.js';

const T = 'acme';
const opts = { maxInflight: 1000 };

describe('memory engine bounds', () => {
  const engines: MemoryStreamsEngine[] = [];
  const engine = (o: Partial<MemoryEngineOptions> = {}, policy = basePolicy) => {
    const e = new MemoryStreamsEngine({
      policy: () => policy,
      logger: pino({ level: 'silent' }),
      nackMaxDelayMs: 1000,
      ...o,
    });
    engines.push(e);
    return e;
  };
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });

  /** One message through a short-lived subscriber: enqueue, deliver, ack, unsubscribe. */
  async function useOnce(e: MemoryStreamsEngine, stream: string): Promise<void> {
    await e.enqueue(T, stream, { stream });
    const got: StreamMessage[] = [];
    const c = e.subscribe(T, stream, { deliver: (m) => got.push(m) }, opts);
    c.grant(1);
    expect(c.ack(got[0]!.id)).toBe('ok');
    c.close();
  }

  it('keeps no per-message state after 50,000 enqueue → deliver → ack (with nacks and redeliveries)', async () => {
    const e = engine();
    const total = 50_000;
    const window = 1000;
    let received: StreamMessage[] = [];
    let acked = 0;
    let nacked = 0;
    const c = e.subscribe(T, 'long-run', { deliver: (m) => received.push(m) }, opts);
    let next = 0;
    const deadline = Date.now() + 20_000;
    while (acked < total && Date.now() < deadline) {
      // Producer: keep about two windows waiting.
      for (let k = 0; k < window && next < total && next - acked < 2 * window; k++)
        await e.enqueue(T, 'long-run', { i: next++ });
      // Consumer: settle what arrived (every 10th first attempt nacked, with 0–2 ms delay), then refill the window.
      const batch = received;
      received = [];
      for (const m of batch) {
        if (m.attempt === 1 && m.envelope !== null && (m.envelope as { i: number }).i % 10 === 0) {
          expect(c.nack(m.id, (m.envelope as { i: number }).i % 3)).toBe('ok');
          nacked++;
        } else {
          expect(c.ack(m.id)).toBe('ok');
          acked++;
        }
      }
      if (c.credit < window) c.grant(window - c.credit);
      await new Promise((r) => setTimeout(r, batch.length === 0 ? 1 : 0)); // let nack delays fire
    }
    expect(acked).toBe(total);
    expect(nacked).toBe(total / 10);
    expect(e.totals()).toMatchObject({
      enqueued: total,
      acked: total,
      nacked: total / 10,
      redelivered: total / 10,
      depth: 0,
      inflight: 0,
    });
    // Nothing per message is left: queues (and their backing arrays), in-flight maps, timers.
    expect(e.internals()).toEqual({
      streams: 1,
      idleStreams: 0,
      timers: 0,
      pendingPumps: 0,
      fresh: 0,
      retry: 0,
      queueSlots: 0,
      delayed: 0,
      inflight: 0,
      held: 0,
      consumers: 1,
      ready: 1, // it still has credit
    });
    c.close();
    expect(e.internals()).toMatchObject({ streams: 1, idleStreams: 1, consumers: 0, ready: 0, timers: 0 });
  }, 30_000);

  it('forgets the oldest idle streams beyond maxIdleStreams; active streams and their stats stay', async () => {
    const e = engine({ maxIdleStreams: 5 });
    // Active: one with a waiting message, one with a subscriber holding a delivery.
    await e.enqueue(T, 'waiting', { w: 1 });
    await e.enqueue(T, 'held', { h: 1 });
    const held = e.subscribe(T, 'held', { deliver: () => {} }, opts);
    held.grant(1);
    for (let i = 0; i < 50; i++) await useOnce(e, `once-${i}`);
    expect(e.internals()).toMatchObject({ streams: 7, idleStreams: 5 });
    expect(e.totals()).toMatchObject({ streams: 7, streamsEvicted: 45, enqueued: 52, acked: 50 });
    expect(await e.stats(T, 'waiting')).toMatchObject({ depth: 1, delivered: 0 });
    expect(await e.stats(T, 'held')).toMatchObject({ depth: 0, inflight: 1, delivered: 1, subscribers: 1 });
    // The newest idle streams are still known; a forgotten one starts again at zero.
    expect(await e.stats(T, 'once-49')).toMatchObject({ delivered: 1, acked: 1 });
    expect(await e.stats(T, 'once-0')).toMatchObject({ depth: 0, delivered: 0, acked: 0 });
    await useOnce(e, 'once-0');
    expect(await e.stats(T, 'once-0')).toMatchObject({ delivered: 1, acked: 1 });
  });

  it('forgets a stream idle for idleStreamTtlMs; a stream used again before that stays', async () => {
    let now = 1_000_000;
    const e = engine({ idleStreamTtlMs: 1000, now: () => now });
    await useOnce(e, 'a');
    await useOnce(e, 'b');
    expect(e.internals()).toMatchObject({ streams: 2, idleStreams: 2 });
    now += 999;
    await e.enqueue(T, 'b', { again: true }); // b is in use again
    await e.enqueue(T, 'c', {}); // creating a stream checks the idle ones
    expect(e.internals()).toMatchObject({ streams: 3, idleStreams: 1 });
    now += 1;
    await e.enqueue(T, 'd', {});
    expect(e.internals()).toMatchObject({ streams: 3, idleStreams: 0 }); // a forgotten
    expect(await e.stats(T, 'a')).toMatchObject({ delivered: 0, acked: 0 });
    expect(await e.stats(T, 'b')).toMatchObject({ depth: 1, delivered: 1, acked: 1 });
    expect(e.totals().streamsEvicted).toBe(1);
  });

  it('never forgets a stream with delayed messages or without its last subscriber gone', async () => {
    let now = 1_000_000;
    const e = engine({ idleStreamTtlMs: 10, maxIdleStreams: 0, now: () => now });
    await e.enqueue(T, 'delayed', {});
    const got: StreamMessage[] = [];
    const c = e.subscribe(T, 'delayed', { deliver: (m) => got.push(m) }, opts);
    c.grant(1);
    c.nack(got[0]!.id, 500);
    c.close();
    now += 100;
    await e.enqueue(T, 'other', {});
    expect(await e.stats(T, 'delayed')).toMatchObject({ depth: 1, nacked: 1 });
    const sub = e.subscribe(T, 'quiet', { deliver: () => {} }, opts);
    now += 100;
    await e.enqueue(T, 'other-2', {});
    expect((await e.stats(T, 'quiet')).subscribers).toBe(1);
    sub.close(); // idle now, and maxIdleStreams 0: forgotten at once
    expect(e.internals().streams).toBe(3);
  });

  it('a drain returns messages without dead-lettering them, even on their last attempt', async () => {
    const e = engine({}, { ...basePolicy, maxAttempts: 1 });
    await e.enqueue(T, 's', {});
    e.subscribe(T, 's', { deliver: () => {} }, opts).grant(1);
    await e.stopDelivery();
    expect(await e.stats(T, 's')).toMatchObject({ depth: 1, inflight: 0, deadLettered: 0 });
    expect((await e.stats(T, 's.dlq')).depth).toBe(0);
  });

  it('a disconnect on the last attempt dead-letters the message', async () => {
    const e = engine({}, { ...basePolicy, maxAttempts: 1 });
    const { id } = await e.enqueue(T, 's', { x: 1 });
    const c = e.subscribe(T, 's', { deliver: () => {} }, opts);
    c.grant(1);
    c.close();
    expect(await e.stats(T, 's')).toMatchObject({ depth: 0, deadLettered: 1 });
    const got: StreamMessage[] = [];
    e.subscribe(T, 's.dlq', { deliver: (m) => got.push(m) }, opts).grant(1);
    expect(got).toEqual([expect.objectContaining({ id, attempt: 1, envelope: { x: 1 }, stream: 's.dlq' })]);
  });
});
