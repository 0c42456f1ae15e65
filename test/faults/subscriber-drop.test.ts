// Fault: a subscriber dropped mid-flight (issue 12 item 3). Under a bounded load — a
// producer enqueuing and a second subscriber acking — one subscriber holding unacked
// deliveries loses its connection without a close handshake. Counted: every message the
// gateway took is acked exactly once; the dropped one's unacked messages come again with
// attempt 2, the others with attempt 1. Both streams engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { call } from '../gateway/helpers.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { Acker, closedAfterEach, lost, Producer, report } from './ledger.js';

const COUNT = 300;
/** Deliveries the subscriber that is dropped holds when it is dropped. */
const HELD = 40;
/** Of those, acked before the drop (and so never delivered again). */
const ACKED_FIRST = 10;

let redis: RedisServer | undefined;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

const open = closedAfterEach();

describe.each(['memory', 'redis'] as const)('fault: a subscriber dropped mid-flight (%s)', (backend) => {
  it('loses nothing: every message acked exactly once, attempts honest', async () => {
    const env =
      backend === 'redis'
        ? {
            CONDUIT_STREAMS_BACKEND: 'redis' as const,
            CONDUIT_REDIS_URL: redis!.url,
            CONDUIT_LOG_LEVEL: 'warn' as const,
          }
        : { CONDUIT_LOG_LEVEL: 'warn' as const };
    const g: TestGateway = await startGateway({ env });
    open.push(g);
    const stream = `drop-${backend}-${Date.now()}`;

    // The subscriber to drop takes HELD deliveries first, then the acker shares the rest.
    const victim = await Acker.connect(g.wsUrl, stream, { window: HELD, hold: true });
    open.push(victim);
    const producer = new Producer({ url: () => g.httpUrl, stream, count: COUNT, concurrency: 8 });
    await victim.until(() => victim.deliveries.length === HELD, 10_000, `${HELD} deliveries to the victim`);
    const acker = await Acker.connect(g.wsUrl, stream, { window: 20 });
    open.push(acker);

    // Settle a few of the held ones, make sure the server has read those acks, then drop it.
    const held = victim.deliveries.slice(0);
    for (const d of held.slice(0, ACKED_FIRST)) victim.client.ack(d.id);
    await victim.client.barrier();
    victim.client.ws.terminate(); // no close frame: the TCP connection just ends
    await victim.client.closed;

    await producer.done;
    const accepted = [...producer.accepted.keys()];
    const ackedFirst = new Set(held.slice(0, ACKED_FIRST).map((d) => (d.envelope as { seq: number }).seq));
    await acker.until(
      () => lost(accepted, ackedFirst, acker.ackedSeqs()).length === 0,
      10_000,
      'every accepted message acked',
    );
    await acker.client.barrier(); // nothing more is on its way

    const ackCount = new Map<number, number>();
    for (const seq of [...ackedFirst, ...acker.acks.map((a) => a.seq)]) ackCount.set(seq, (ackCount.get(seq) ?? 0) + 1);
    const heldUnacked = new Map(held.slice(ACKED_FIRST).map((d) => [(d.envelope as { seq: number }).seq, d.attempt]));
    const dishonest = acker.deliveries.filter((d) => {
      const seq = (d.envelope as { seq: number }).seq;
      return d.attempt !== (heldUnacked.has(seq) ? heldUnacked.get(seq)! + 1 : 1);
    });
    const stats = (await call(`${g.httpUrl}/v1/stats?stream=${stream}`)).body;
    const counts = report({
      expected: accepted.length,
      lost: lost(accepted, ackedFirst, acker.ackedSeqs()).length,
      ackedTwice: [...ackCount.values()].filter((n) => n > 1).length,
      dishonestAttempts: dishonest.length,
      refused: producer.failed.length,
      leftInStream: stats.depth + stats.inflight,
    });
    expect(counts).toEqual({
      expected: COUNT,
      lost: 0,
      ackedTwice: 0,
      dishonestAttempts: 0,
      refused: 0,
      leftInStream: 0,
    });
    // The drop happened mid-flight: the victim held messages nobody else had seen yet.
    expect(heldUnacked.size).toBe(HELD - ACKED_FIRST);
    expect(acker.deliveries.filter((d) => d.attempt === 2)).toHaveLength(HELD - ACKED_FIRST);
  });
});
