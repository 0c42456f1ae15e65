// 10,000 messages through 10 competing subscribers with random ack/nack: every id is
// acked exactly once, none is lost or invented, attempts count up without gaps.
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ClientPool, type SubClient } from '../support/ws-client.js';
import { createRng } from '../../src/load/prng.js';

const MESSAGES = 10_000;
const SUBSCRIBERS = 10;
const WINDOW = 100;

describe('WebSocket delivery at volume', () => {
  let g: TestGateway;
  const pool = new ClientPool();
  const agent = new Agent({ connections: 16, pipelining: 1 });

  beforeAll(async () => {
    g = await startGateway({ env: { CONDUIT_MAX_ATTEMPTS: 50, CONDUIT_WS_MAX_FRAMES_PER_S: 20_000 } });
  });
  afterAll(async () => {
    await pool.closeAll();
    await agent.close();
    await g?.close();
  });

  it('10,000 messages, 10 subscribers, random ack/nack: every id acked once, none lost', async () => {
    const seed = Number(process.env.CONDUIT_TEST_SEED ?? 20_240_601);
    const rng = createRng(seed); // seeded, so a failure can be replayed
    const random = () => rng.next();
    const enqueued = new Set<string>();
    const acked = new Map<string, number>();
    const attempts = new Map<string, number[]>();
    const clients: SubClient[] = [];
    let done!: () => void;
    const allAcked = new Promise<void>((r) => (done = r));

    for (let s = 0; s < SUBSCRIBERS; s++) {
      const c = await pool.connect(`${g.wsUrl}/v1/subscribe?stream=volume`);
      let settled = 0;
      c.ws.on('message', (data) => {
        const f = JSON.parse(String(data));
        if (!f.deliver) return;
        const { id, attempt } = f.deliver;
        const seen = attempts.get(id) ?? [];
        seen.push(attempt);
        attempts.set(id, seen);
        if (random() < 0.75) {
          c.ack(id);
          acked.set(id, (acked.get(id) ?? 0) + 1);
          if (acked.size === MESSAGES) done();
        } else c.nack(id, Math.floor(random() * 20));
        if (++settled % 20 === 0) c.credit(20); // keep the window at WINDOW
      });
      c.credit(WINDOW);
      clients.push(c);
    }

    const t0 = Date.now();
    let next = 0;
    const producer = async () => {
      while (next < MESSAGES) {
        const i = next++;
        const res = await request(`${g.httpUrl}/v1/enqueue`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ to: 'volume', envelope: { i } }),
        });
        const body = (await res.body.json()) as { id: string };
        expect(res.statusCode).toBe(200);
        enqueued.add(body.id);
      }
    };
    await Promise.all(Array.from({ length: 16 }, producer));
    // Fails on a stall (lost messages stop the acks), not on a slow machine: no absolute deadline.
    const stalled = new Promise<never>((_, reject) => {
      let last = -1;
      const t = setInterval(() => {
        if (acked.size === last) reject(new Error(`no ack for 5 s: only ${acked.size} of ${MESSAGES} acked`));
        last = acked.size;
      }, 5_000);
      allAcked.finally(() => clearInterval(t));
    });
    await Promise.race([allAcked, stalled]);
    const elapsed = Date.now() - t0;

    // None lost, none invented: the acked ids are exactly the enqueued ids, each acked once.
    expect(enqueued.size).toBe(MESSAGES);
    expect(acked.size).toBe(MESSAGES);
    expect(new Set(acked.keys())).toEqual(enqueued);
    expect([...acked.values()].every((n) => n === 1)).toBe(true);
    for (const [id, seen] of attempts) {
      // attempts are 1, 2, ... k without gaps or repeats, ending with the acked one
      expect(seen, id).toEqual(seen.map((_, k) => k + 1));
    }
    for (const c of clients) await c.barrier();
    const stats = await g.gw.ctx.streams.stats('default', 'volume');
    expect(stats).toMatchObject({ depth: 0, inflight: 0, acked: MESSAGES, deadLettered: 0 });
    expect(stats.delivered).toBe(stats.acked + stats.nacked);
    expect(stats.redelivered).toBe(stats.nacked);
    // Every subscriber took part (competing consumers share the stream).
    const perClient = clients.map((c) => c.deliveries.length);
    expect(Math.min(...perClient)).toBeGreaterThan(0);
    console.info(`10k messages: ${elapsed} ms, ${stats.nacked} nacks, per subscriber ${perClient.join(',')}`);
  }, 120_000);
});
