// Nothing the drivers and load models do per request may stay behind: abort listeners
// on the engine's signals (think-time timers, open-model pacing, undici requests,
// WebSocket connects) are removed when each operation ends.
import { getEventListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedModel, ConduitClient, LoadEngine, Metrics, openModel, WsSubscriber } from '../../src/load/index.js';
import type { Workload, WorkloadContext } from '../../src/load/index.js';
import { droppedLog, startGateway, type TestGateway } from '../support/gateway.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startGateway({ env: { CONDUIT_LOG_LEVEL: 'warn' }, appLog: droppedLog() });
});
afterAll(async () => {
  await gateway?.close();
});

const listeners = (ctx: WorkloadContext) =>
  getEventListeners(ctx.stopping, 'abort').length + getEventListeners(ctx.signal, 'abort').length;

/** Runs `make(ctx)` and samples the abort listeners of the engine's signals from inside the operations. */
async function sampleListeners(
  durationMs: number,
  make: (ctx: WorkloadContext, sample: () => void) => Workload,
): Promise<number[]> {
  const counts: number[] = [];
  const metrics = new Metrics();
  await new LoadEngine(metrics, { durationMs, graceMs: 2000 }).run([
    (ctx) => make(ctx, () => counts.push(listeners(ctx)))(ctx),
  ]);
  expect(metrics.snapshot().errors).toEqual({});
  return counts;
}

describe('per-request state of drivers and load models', () => {
  it('closed model with think time and real HTTP requests: abort listeners do not pile up', async () => {
    const client = new ConduitClient({ url: gateway.httpUrl, metrics: new Metrics(), connections: 4 });
    try {
      const counts = await sampleListeners(1500, (_ctx, sample) =>
        closedModel({
          concurrency: 4,
          metric: 'http.latency',
          thinkMs: 1,
          op: async ({ signal, iteration }) => {
            if (iteration % 50 === 0) sample();
            return client.stats('accumulation', signal);
          },
        }),
      );
      expect(counts.length).toBeGreaterThan(5);
      // At most one per user (its request or its think timer) and the engine's own, whatever the iteration.
      expect(Math.max(...counts)).toBeLessThanOrEqual(2 * 4 + 1);
    } finally {
      await client.close();
    }
  });

  it('open model pacing: abort listeners do not pile up', async () => {
    const counts = await sampleListeners(1000, (_ctx, sample) =>
      openModel({
        ratePerS: 2000,
        metric: 'op',
        maxInflight: 50,
        op: async ({ iteration }) => {
          if (iteration % 100 === 0) sample();
          await new Promise((r) => setImmediate(r));
        },
      }),
    );
    expect(counts.length).toBeGreaterThan(5);
    expect(Math.max(...counts)).toBeLessThanOrEqual(4);
  });

  it('a WebSocket connect removes its abort listener once subscribed', async () => {
    const controller = new AbortController();
    const subs = Array.from(
      { length: 5 },
      (_, i) => new WsSubscriber({ url: gateway.wsUrl, stream: `acc-${i}`, metrics: new Metrics() }),
    );
    await Promise.all(subs.map((s) => s.connect(controller.signal)));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await Promise.all(subs.map((s) => s.close()));
  });

  // At its in-flight cap openModel once raced every wait against one shared `stopped`
  // promise, whose reactions stayed until the run ended (~300 B per wait).
  it('open model at its in-flight cap keeps no state per wait', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap: number[] = [];
    let n = 0;
    await new LoadEngine(new Metrics(), { durationMs: 1500, graceMs: 100 }).run([
      openModel({
        ratePerS: 100_000,
        metric: 'op',
        maxInflight: 1,
        op: async () => {
          if (++n % 10_000 === 0) {
            gc();
            heap.push(process.memoryUsage().heapUsed);
          }
          await new Promise((r) => setImmediate(r));
        },
      }),
    ]);
    expect(heap.length).toBeGreaterThanOrEqual(3);
    expect(heap.at(-1)! - heap[0]!).toBeLessThan((heap.length - 1) * 10_000 * 100); // < 100 B per wait
  });
});
