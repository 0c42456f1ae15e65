// Seed T5071: concurrent WebSocket subscribers. 100 subscribers with credit flow take
// messages from a continuous enqueue stream (open model, fixed rate) for 60 s and settle
// each delivery with a seeded random ack/nack. Pass: connection success ≥ 95 %, error
// rate ≤ 5 %, ≥ 5 msg/s, fitted RSS growth < 200 MiB, memory trend not `growing` (not
// judged on runs too short for one), no message lost.
import { performance } from 'node:perf_hooks';
import { expect, test } from 'vitest';
import {
  ConduitClient,
  DeliveryClock,
  DeliveryLedger,
  envInt,
  envNumber,
  getTarget,
  installMatchers,
  loadDurationS,
  openModel,
  runScenario,
  createSubscriberFleet,
} from '../src/load/index.js';
import type { Workload } from '../src/load/index.js';

installMatchers();

const MiB = 1024 * 1024;
const knobs = {
  subscribers: envInt('CONDUIT_WS_SUBSCRIBERS', 100),
  streams: envInt('CONDUIT_WS_STREAMS', 10),
  enqueueRatePerS: envNumber('CONDUIT_WS_ENQUEUE_RATE', 200),
  creditWindow: envInt('CONDUIT_WS_CREDIT_WINDOW', 10),
  nackRate: envNumber('CONDUIT_WS_NACK_RATE', 0.1),
  nackDelayMs: envInt('CONDUIT_WS_NACK_DELAY_MS', 100),
  durationS: loadDurationS(60),
  settleMs: envInt('CONDUIT_WS_SETTLE_MS', 15_000),
  minConnectionSuccess: envNumber('CONDUIT_WS_MIN_CONNECTION_SUCCESS', 0.95),
  maxErrorRate: envNumber('CONDUIT_WS_MAX_ERROR_RATE', 0.05),
  minMessagesPerS: envNumber('CONDUIT_WS_MIN_MSG_PER_S', 5),
  maxMemoryGrowthMB: envNumber('CONDUIT_WS_MAX_MEMORY_GROWTH_MB', 200),
};

test('ws: subscribers with credit flow and random ack/nack', async (context) => {
  const target = getTarget();
  const ledger = new DeliveryLedger();
  const run = `ws-${Date.now().toString(36)}`;
  const streams = Array.from({ length: Math.max(1, knobs.streams) }, (_, i) => `load/${run}/${i}`);

  const result = await runScenario({
    name: 'ws',
    target,
    durationS: knobs.durationS,
    mainMetric: 'ws.delivery',
    config: { ...knobs },
    context,
    graceMs: knobs.settleMs + 10_000,
    ledger: () => ledger.summary(),
    workloads: (metrics) => {
      const http = new ConduitClient({ url: target.httpUrl, token: target.token, connections: 20, metrics });
      // Delivery latency from this generator's send of each enqueue (µs clock).
      const clock = new DeliveryClock(metrics);
      let producerDone!: () => void;
      const producerFinished = new Promise<void>((resolve) => (producerDone = resolve));
      const subscribers = createSubscriberFleet({
        count: knobs.subscribers,
        streams,
        url: target.wsUrl,
        token: target.token,
        metrics,
        ledger,
        clock,
        credit: { window: knobs.creditWindow },
        ack: { nackRate: knobs.nackRate, nackDelayMs: knobs.nackDelayMs },
      });
      const subscribe: Workload = async (ctx) => {
        await Promise.allSettled(subscribers.map((s) => s.connect(ctx.stopping)));
        await untilAborted(ctx.stopping);
        // Every enqueue answered before the ledger settles: an id answered after the
        // settle (a request in flight at the deadline) would otherwise look lost.
        await Promise.race([producerFinished, untilAborted(ctx.signal)]);
        // Settle: wait for outstanding deliveries (bounded), then close every subscriber.
        await ledger.settle(knobs.settleMs, ctx.signal);
        await Promise.all(subscribers.map((s) => s.close()));
        clock.flush();
      };
      const enqueue: Workload = async (ctx) => {
        try {
          await openModel({
            ratePerS: knobs.enqueueRatePerS,
            metric: 'http.latency',
            maxInflight: 200,
            op: async ({ iteration, signal }) => {
              // The ledger's stamp (a sequence number) in the envelope keeps its memory flat.
              const { seq, envelope } = ledger.stamp({ i: iteration, run });
              const sentAt = performance.now();
              const out = await http.enqueue(streams[iteration % streams.length], envelope, signal);
              if (out.ok && out.body?.id) {
                ledger.enqueued(out.body.id, seq);
                clock.enqueued(out.body.id, sentAt);
              }
              return out;
            },
          })(ctx);
        } finally {
          producerDone();
          await http.close();
        }
      };
      return [subscribe, enqueue];
    },
  });

  expect.soft(result).toHaveSuccessRateAtLeast(knobs.minConnectionSuccess, {
    success: 'connections.opened',
    total: 'connections.attempted',
    label: 'connection success',
  });
  expect.soft(result).toHaveErrorRateBelow(knobs.maxErrorRate);
  expect.soft(result).toHaveThroughputAtLeast('messagesPerS', knobs.minMessagesPerS);
  expect.soft(result).toHaveMemoryGrowthBelow({ bytes: knobs.maxMemoryGrowthMB * MiB, metric: 'rss' });
  expect.soft(result).toHaveStableMemory();
  expect.soft(result).toHaveNoLostMessages();
});

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}
