// The redis engine when a reply is lost in flight: Redis ran the command, the connection
// dropped before the answer arrived. The command must not be sent again on reconnect —
// an enqueue resent is a second copy of the message under the same id, delivered again
// at attempt 1 once the first copy was settled (found by test/faults/redis-restart).
// The caller is told the outcome is unknown (BACKEND_UNAVAILABLE) instead.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisStreamsEngine, streamKeys } from '../../src/gateway/streams/redis/index.js';
import { startSocketProxy, type SocketProxy } from '../support/socket-proxy.js';
import { recordingSink } from './helpers.js';
import { opts, policy, redisEngineFixture, T } from './redis-fixture.js';
import { until } from '../support/until.js';

describe('redis streams engine: a reply lost in flight', () => {
  const f = redisEngineFixture();
  let proxy: SocketProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  it('an enqueue whose reply was lost is not run twice; it answers BACKEND_UNAVAILABLE', async () => {
    proxy = await startSocketProxy(f.redis.url);
    const e = f.track(
      new RedisStreamsEngine({
        url: proxy.path,
        policy: () => policy,
        logger: pino({ level: 'silent' }),
        nackMaxDelayMs: 0,
        commandTimeoutMs: 2000,
      }),
    );
    await e.ready();
    const s = f.fresh('lost-reply');
    const key = streamKeys(T, s).stream;
    proxy.holdReplies();
    const first = e.enqueue(T, s, { n: 1 }).then(
      (r) => r,
      (err: unknown) => err,
    );
    await until(async () => ((await f.admin.xlen(key)) === 1 ? true : undefined)); // Redis ran it
    proxy.cut();
    expect(await first).toMatchObject({ code: 'BACKEND_UNAVAILABLE', status: 503 });
    await until(() => e.connected() || undefined, 5000);
    // A later enqueue on the same connection comes after anything resent.
    await e.enqueue(T, s, { n: 2 });
    expect(await f.admin.xlen(key)).toBe(2);
    const sink = recordingSink();
    e.subscribe(T, s, sink, opts).grant(10);
    const got = await sink.waitFor(2);
    expect(got.map((m) => [m.envelope, m.attempt])).toEqual([
      [{ n: 1 }, 1],
      [{ n: 2 }, 1],
    ]);
  });

  it('entries of a read whose reply was lost are delivered at attempt 1, not reclaimed later as attempt 2', async () => {
    proxy = await startSocketProxy(f.redis.url);
    const e = f.track(
      new RedisStreamsEngine({
        url: proxy.path,
        // The sweeper would reclaim the lost entry as attempt 2 once idle ackTimeoutMs +
        // reclaimGraceMs (3.1 s); the recovery after reconnecting must deliver it first.
        policy: () => ({ ...policy, ackTimeoutMs: 3000 }),
        logger: pino({ level: 'silent' }),
        nackMaxDelayMs: 0,
        sweepIntervalMs: 50,
        reclaimGraceMs: 100,
      }),
    );
    await e.ready();
    const s = f.fresh('lost-read');
    const key = streamKeys(T, s).stream;
    const sink = recordingSink();
    const c = e.subscribe(T, s, sink, opts);
    c.grant(5);
    // The reader blocks in XREADGROUP; the entry added now is read by it, its reply held back.
    await until(async () =>
      String(await f.admin.call('CLIENT', 'LIST')).includes('cmd=xreadgroup') ? true : undefined,
    );
    proxy.holdReplies();
    await f.admin.xadd(key, '*', 'id', 'lost-1', 'n', '0', 'at', String(Date.now()), 'e', '{"n":1}');
    await until(async () => ((await f.pendingInRedis(s)) === 1 ? true : undefined)); // read by the reader
    proxy.cut();
    const [m] = await sink.waitFor(1, 5000);
    expect([m!.id, m!.envelope, m!.attempt]).toEqual(['lost-1', { n: 1 }, 1]);
    expect(c.ack('lost-1')).toBe('ok');
    await until(async () => ((await f.pendingInRedis(s)) === 0 ? true : undefined));
    expect(sink.got).toHaveLength(1);
  });
});
