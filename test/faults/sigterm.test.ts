// Fault: SIGTERM during load (issue 12 item 3), on the redis backend, where what the
// drain returns outlives the process. A child gateway has a producer enqueuing, one
// subscriber acking and one holding unacked deliveries when SIGTERM arrives. Counted:
// the process drains and exits 0; nothing stays pending under its consumer name; every
// message it took was acked there or is back in its stream, where a fresh gateway
// delivers it — attempt 2 if it had been delivered before, 1 if not — and nothing acked
// before the signal comes again.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamKeys } from '../../src/gateway/streams/redis/index.js';
import { childGateways } from '../gateway/child.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { Acker, closedAfterEach, dishonestAttempts, lost, Producer, report, seqOf, strangers } from './ledger.js';

const COUNT = 400;
const HELD = 30;

let dir: string;
let redis: RedisServer;
let admin: Redis;
const { start, ready } = childGateways(() => dir);
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conduit-fault-term-'));
  redis = await startRedisServer();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});
const open = closedAfterEach();

describe('fault: SIGTERM during load (redis backend)', () => {
  it('drains, exits 0, and every unacked message is back in its stream', async () => {
    const s = start({
      CONDUIT_STREAMS_BACKEND: 'redis',
      CONDUIT_REDIS_URL: redis.url,
      CONDUIT_DRAIN_TIMEOUT_MS: '5000',
    });
    const gw = await ready(s);
    const stream = `term-${Date.now()}`;
    const holder = await Acker.connect(gw.wsUrl, stream, { window: HELD, hold: true });
    const acker = await Acker.connect(gw.wsUrl, stream, { window: 10 });
    open.push(holder, acker);
    const producer = new Producer({ url: () => gw.httpUrl, stream, count: COUNT, concurrency: 6 });

    // The signal lands mid-load: the holder is full, the acker busy, the producer running.
    await holder.until(() => holder.deliveries.length === HELD, 10_000, 'the holder full');
    await acker.until(() => acker.acks.length >= 50, 10_000, '50 acks');
    const sigtermAt = Date.now();
    const acceptedAtSignal = producer.accepted.size;
    s.child.kill('SIGTERM');
    const code = await s.exited;
    await producer.done;
    const closes = await Promise.all([holder.client.closed, acker.client.closed]);

    const key = streamKeys('default', stream).stream;
    const pending = Number(((await admin.xpending(key, 'conduit')) as [number])[0]);
    const first = [...holder.deliveries, ...acker.deliveries];
    const ackedHere = acker.ackedSeqs();

    // A fresh gateway on the same Redis delivers what the drain returned.
    const g: TestGateway = await startGateway({
      env: { CONDUIT_STREAMS_BACKEND: 'redis', CONDUIT_REDIS_URL: redis.url, CONDUIT_LOG_LEVEL: 'warn' },
    });
    open.push(g);
    const after = await Acker.connect(g.wsUrl, stream, { window: 20 });
    open.push(after);
    const accepted = [...producer.accepted.keys()];
    await after.until(() => lost(accepted, ackedHere, after.ackedSeqs()).length === 0, 10_000, 'the rest delivered');
    await after.client.barrier();

    const ackedBefore = new Set(acker.acks.filter((a) => a.at < sigtermAt).map((a) => a.seq));
    const dishonest = dishonestAttempts([first, after.deliveries]);
    const counts = report({
      expected: accepted.length,
      lost: lost(accepted, ackedHere, after.ackedSeqs()).length,
      exitCode: code ?? -1,
      pendingAfterExit: pending,
      ackedBeforeSignalDeliveredAgain: after.deliveries.filter((d) => ackedBefore.has(seqOf(d))).length,
      dishonestAttempts: dishonest.length,
      strangers: strangers(after.deliveries, producer),
      notDrainingRefusals: producer.failed.filter((o) => o.status !== 0 && o.code !== 'DRAINING').length,
    });
    expect(counts, JSON.stringify({ dishonest: dishonest.slice(0, 5) })).toEqual({
      expected: counts.expected,
      lost: 0,
      exitCode: 0,
      pendingAfterExit: 0,
      ackedBeforeSignalDeliveredAgain: 0,
      dishonestAttempts: 0,
      strangers: 0,
      notDrainingRefusals: 0,
    });
    expect(closes.map((c) => c.code)).toEqual([1001, 1001]);
    // It was mid-load: messages were taken after the signal's moment was chosen, or refused.
    expect(acceptedAtSignal).toBeLessThan(COUNT);
    // The held messages came back, on their second attempt.
    const heldSeqs = new Set(holder.deliveries.map(seqOf));
    expect(after.deliveries.filter((d) => heldSeqs.has(seqOf(d))).map((d) => d.attempt)).toEqual(Array(HELD).fill(2));
  });
});
