// The ledger's lost and duplicate counts over real sockets: a real gateway (in this
// process, port 0) behind a proxy that loses every 1,000th delivery (acked upstream, so
// the gateway never redelivers it). The ledger must report exactly the messages the
// subscribers never saw — and 0 lost, 0 duplicates when nothing is dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConduitClient, DeliveryLedger, Metrics, WsSubscriber } from '../../src/load/index.js';
import { droppedLog, startGateway, type TestGateway } from '../support/gateway.js';
import { startDroppingProxy } from './fixtures/dropping-proxy.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startGateway({ env: { CONDUIT_LOG_LEVEL: 'warn' }, appLog: droppedLog() });
});
afterAll(async () => {
  await gateway?.close();
});

async function run(messages: number, dropEvery: number, nackRate: number) {
  const proxy = await startDroppingProxy(gateway.wsUrl, dropEvery);
  const metrics = new Metrics();
  const ledger = new DeliveryLedger();
  const client = new ConduitClient({ url: gateway.httpUrl, metrics, connections: 16 });
  const streams = [0, 1].map((i) => `lost-${dropEvery}-${nackRate}-${Date.now()}-${i}`);
  const subs = [0, 1, 2, 3].map(
    (i) =>
      new WsSubscriber({
        url: proxy.url,
        stream: streams[i % 2]!,
        metrics,
        ledger,
        seed: i + 1,
        credit: { window: 20 },
        ack: { nackRate, nackDelayMs: 5 },
      }),
  );
  try {
    await Promise.all(subs.map((s) => s.connect()));
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < messages; i = next++) {
          const { seq, envelope } = ledger.stamp({ i });
          const out = await client.enqueue(streams[i % 2]!, envelope);
          expect(out.ok).toBe(true);
          ledger.enqueued(out.body!.id, seq);
        }
      }),
    );
    // Every message settled: one ack each reached the gateway (the subscribers' or the proxy's).
    await proxy.acked(messages);
  } finally {
    await Promise.all(subs.map((s) => s.close()));
    await client.close();
    await proxy.close();
  }
  return { summary: ledger.summary(), stats: proxy.stats, metrics };
}

describe('ledger over real sockets, with a gateway that loses deliveries', () => {
  it('counts every 1,000th delivery lost, and nothing duplicated', async () => {
    const { summary, stats } = await run(5000, 1000, 0);
    expect(stats.dropped).toBe(5);
    expect(summary).toMatchObject({
      enqueued: 5000,
      deliveredUnique: 4995,
      lost: 5,
      duplicates: 0,
      redeliveries: 0,
      unexpected: 0,
    });
    expect([...summary.lostSample].sort()).toEqual([...stats.droppedIds].sort());
  }, 60_000);

  it('with nacks and redeliveries: lost are the dropped first attempts (a dropped redelivery was seen before)', async () => {
    const { summary, stats, metrics } = await run(5000, 1000, 0.05);
    expect(stats.deliveries).toBeGreaterThan(5100); // redeliveries went through the proxy too
    expect(summary.lost).toBe(stats.droppedFirstAttempts);
    expect(summary.lost).toBeGreaterThan(0);
    expect(summary).toMatchObject({
      enqueued: 5000,
      deliveredUnique: 5000 - summary.lost,
      duplicates: 0,
      unexpected: 0,
    });
    expect(summary.redeliveries).toBe(metrics.counter('ws.redeliveries'));
  }, 60_000);

  it('reports 0 lost and 0 duplicates when nothing is dropped', async () => {
    const { summary, stats } = await run(3000, Number.MAX_SAFE_INTEGER, 0.05);
    expect(stats.dropped).toBe(0);
    expect(summary).toMatchObject({ enqueued: 3000, deliveredUnique: 3000, lost: 0, duplicates: 0, unexpected: 0 });
  }, 60_000);
});
