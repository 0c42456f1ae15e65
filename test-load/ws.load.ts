// Seed T5071: concurrent WebSocket subscribers. 100 subscribers with credit flow take
// messages from a continuous enqueue stream (open model, fixed rate) for 60 s and settle
// each delivery with a seeded random ack/nack. Pass: connection success ≥ 95 %, error
// rate ≤ 5 %, ≥ 5 msg/s, fitted RSS growth < 200 MiB, memory trend not `growing` (not
// judged on runs too short for one), no message lost.
import { defineKnobs, loadDurationS, loadTest, open, subscribers } from '../src/load/index.js';

// biome-ignore format: the seed's knob table, grouped: workload, then bars.
const k = defineKnobs('CONDUIT_WS', { subscribers: 100, streams: 10, enqueueRate: 200, creditWindow: 10,
  nackRate: 0.1, nackDelayMs: 100, settleMs: 15_000,
  minConnectionSuccess: 0.95, maxErrorRate: 0.05, minMsgPerS: 5, maxMemoryGrowthMB: 200 });
// The result's config keeps the names earlier results.json files (baselines) carry.
const { enqueueRate: enqueueRatePerS, minMsgPerS: minMessagesPerS, ...same } = k;

loadTest('ws', {
  title: 'subscribers with credit flow and random ack/nack',
  durationS: loadDurationS(60),
  config: { ...same, enqueueRatePerS, minMessagesPerS, durationS: loadDurationS(60) },
  mainMetric: 'ws.delivery',
  graceMs: k.settleMs + 10_000,
  workloads: ({ streams }) => {
    const names = streams(k.streams);
    return {
      subscribe: subscribers({
        count: k.subscribers,
        streams: names,
        credit: { window: k.creditWindow },
        ack: { nackRate: k.nackRate, nackDelayMs: k.nackDelayMs },
        settleMs: k.settleMs,
      }),
      enqueue: open({
        rate: k.enqueueRate,
        maxInflight: 200,
        op: (c, { iteration, signal }) => c.enqueue(names[iteration % names.length]!, { i: iteration }, signal),
      }),
    };
  },
  thresholds: {
    'success connections.opened/connections.attempted': `>= ${k.minConnectionSuccess * 100}%`,
    errorRate: `< ${k.maxErrorRate * 100}%`,
    'throughput messagesPerS': `>= ${k.minMsgPerS}`,
    'memory.rss growth': `< ${k.maxMemoryGrowthMB} MiB`,
    memory: 'stable',
    lost: 0,
  },
});
