// Fault: Redis restarted under load (issue 12 item 3). A gateway on the redis backend
// (Redis with an append-only file synced on every write: a restart keeps what it
// acknowledged) has a producer enqueuing and a subscriber acking when Redis is killed;
// once the gateway reports it unavailable, Redis starts again. The producer retries what
// was refused (503 BACKEND_UNAVAILABLE), as clients are told to. Counted: every message
// the gateway took is delivered and acked; acks lost in the outage only bring a message
// again with its attempt + 1; nothing is pending in Redis after.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamKeys } from '../../src/gateway/streams/redis/index.js';
import { call } from '../gateway/helpers.js';
import { startGateway } from '../support/gateway.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { Acker, closedAfterEach, dishonestAttempts, doubled, lost, Producer, report, strangers } from './ledger.js';
import { until } from '../support/until.js';

const COUNT = 400;
const ACK_TIMEOUT_MS = 1000;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer({ persistent: true });
});
afterAll(async () => {
  await redis?.stop();
});
const open = closedAfterEach();

describe('fault: Redis restarted under load (redis backend)', () => {
  it('loses nothing: every message taken is delivered and acked, attempts honest', async () => {
    const g = await startGateway({
      env: {
        CONDUIT_STREAMS_BACKEND: 'redis',
        CONDUIT_REDIS_URL: redis.url,
        CONDUIT_ACK_TIMEOUT_MS: ACK_TIMEOUT_MS,
        CONDUIT_LOG_LEVEL: 'warn',
      },
    });
    open.push(g);
    const stream = `restart-${Date.now()}`;
    const acker = await Acker.connect(g.wsUrl, stream, { window: 10 });
    open.push(acker);
    const producer = new Producer({
      url: () => g.httpUrl,
      stream,
      count: COUNT,
      concurrency: 6,
      retryUnavailable: { timeoutMs: 10_000 },
    });

    await acker.until(() => acker.acks.length >= 60, 10_000, '60 acks');
    await redis.kill();
    const acceptedAtKill = producer.accepted.size;
    await until(async () => (await call(`${g.httpUrl}/health`)).body.streams?.status === 'unavailable', 5000);
    await redis.restart();
    await producer.done;

    const accepted = [...producer.accepted.keys()];
    await acker.until(() => lost(accepted, acker.ackedSeqs()).length === 0, 10_000, 'every message acked');
    await acker.client.barrier();
    const admin = new Redis(redis.url);
    open.push({ close: async () => admin.disconnect() });
    const key = streamKeys('default', stream).stream;
    const pendingNow = async () => Number(((await admin.xpending(key, 'conduit')) as [number])[0]);
    const pending = await until(async () => ((await pendingNow()) === 0 ? { n: 0 } : undefined), 5000).catch(
      async () => ({ n: await pendingNow() }),
    );

    const dishonest = dishonestAttempts([acker.deliveries]);
    const counts = report({
      expected: accepted.length,
      lost: lost(accepted, acker.ackedSeqs()).length,
      dishonestAttempts: dishonest.length,
      strangers: strangers(acker.deliveries, producer),
      doubled: doubled(acker.deliveries, producer),
      failedRequests: producer.failed.length,
      pendingAfter: pending.n,
    });
    expect(counts, JSON.stringify({ dishonest: dishonest.slice(0, 5) })).toEqual({
      expected: COUNT,
      lost: 0,
      dishonestAttempts: 0,
      strangers: 0,
      doubled: 0,
      failedRequests: 0,
      pendingAfter: 0,
    });
    // The outage was under load: the producer was still running when Redis went away.
    expect(acceptedAtKill).toBeLessThan(COUNT);
  });
});
