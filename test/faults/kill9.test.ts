// Fault: `kill -9` of one of two gateway instances mid-delivery (issue 12 item 3), on the
// redis backend. Instance A (a child process) has a subscriber holding unacked
// deliveries; instance B a subscriber acking; a producer enqueues on both, then on B
// alone once A is gone (a request A never answered is sent again to B). Counted: every
// message taken by either instance is delivered on B and acked; the ones A had delivered
// come with attempt 2, the others with attempt 1; no message is pending in Redis after.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamKeys } from '../../src/gateway/streams/redis/index.js';
import { childGateways } from '../gateway/child.js';
import { startGateway } from '../support/gateway.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import {
  Acker,
  closedAfterEach,
  dishonestAttempts,
  doubled,
  lost,
  Producer,
  report,
  seqOf,
  strangers,
} from './ledger.js';
import { until } from '../support/until.js';

const COUNT = 400;
const HELD = 20;
/** Short, so A's deliveries are reclaimed within the test: ackTimeoutMs + the 1 s grace. */
const ACK_TIMEOUT_MS = 1000;

let dir: string;
let redis: RedisServer;
let admin: Redis;
const { start, ready } = childGateways(() => dir);
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conduit-fault-kill-'));
  redis = await startRedisServer();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});
const open = closedAfterEach();

describe('fault: kill -9 of one of two gateway instances mid-delivery (redis backend)', () => {
  it('every message is delivered on the other instance, attempt counts honest', async () => {
    const env = { CONDUIT_STREAMS_BACKEND: 'redis' as const, CONDUIT_REDIS_URL: redis.url };
    const a = start({ ...env, CONDUIT_ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS) });
    const b = await startGateway({
      env: { ...env, CONDUIT_ACK_TIMEOUT_MS: ACK_TIMEOUT_MS, CONDUIT_LOG_LEVEL: 'warn' },
    });
    open.push(b);
    const ga = await ready(a);
    const stream = `kill-${Date.now()}`;
    const holder = await Acker.connect(ga.wsUrl, stream, { window: HELD, hold: true });
    const acker = await Acker.connect(b.wsUrl, stream, { window: 10 });
    open.push(holder, acker);
    let killed = false;
    const producer = new Producer({
      url: (seq) => (killed || seq % 2 === 0 ? b.httpUrl : ga.httpUrl),
      stream,
      count: COUNT,
      concurrency: 6,
      retryUnavailable: { timeoutMs: 5000 },
    });

    // The kill lands mid-delivery: A's subscriber holds HELD unacked, B's is acking.
    await holder.until(() => holder.deliveries.length === HELD, 10_000, 'the holder full');
    await acker.until(() => acker.acks.length >= 40, 10_000, '40 acks on B');
    a.child.kill('SIGKILL');
    killed = true;
    const acceptedAtKill = producer.accepted.size;
    await a.exited;
    await producer.done;

    const accepted = [...producer.accepted.keys()];
    await acker.until(() => lost(accepted, acker.ackedSeqs()).length === 0, 10_000, 'every message acked on B');
    await acker.client.barrier();
    const key = streamKeys('default', stream).stream;
    const pending = await until(async () => {
      const n = Number(((await admin.xpending(key, 'conduit')) as [number])[0]);
      return n === 0 ? { n } : undefined;
    }, 5000).catch(async () => ({ n: Number(((await admin.xpending(key, 'conduit')) as [number])[0]) }));

    const dishonest = dishonestAttempts([holder.deliveries, acker.deliveries]);
    const counts = report({
      expected: accepted.length,
      lost: lost(accepted, acker.ackedSeqs()).length,
      dishonestAttempts: dishonest.length,
      strangers: strangers(acker.deliveries, producer),
      // One seq under two ids: only a request A never answered, sent again to B, may do that.
      doubled: doubled(acker.deliveries, producer),
      failedRequests: producer.failed.length,
      pendingAfter: pending.n,
    });
    expect(counts, JSON.stringify({ dishonest: dishonest.slice(0, 5) })).toEqual({
      expected: counts.expected,
      lost: 0,
      dishonestAttempts: 0,
      strangers: 0,
      doubled: 0,
      failedRequests: 0,
      pendingAfter: 0,
    });
    expect(counts.expected).toBe(COUNT);
    expect(acceptedAtKill).toBeLessThan(COUNT);
    const heldSeqs = new Set(holder.deliveries.map(seqOf));
    expect(acker.deliveries.filter((d) => heldSeqs.has(seqOf(d))).map((d) => d.attempt)).toEqual(Array(HELD).fill(2));
  });
});
