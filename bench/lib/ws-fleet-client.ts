// The subscribers of bench/ws-fleet.ts, in a fresh child process per run: `raw` — a
// bare `ws` client that parses each frame, acks it and tops credit up every half
// window, nothing else — or `fleet` — the harness's createSubscriberFleet with its
// Metrics (and `fleet+ledger`: with the DeliveryLedger the ws scenario uses). Same
// window, same refill point. Reports deliveries, seconds and this process's CPU over
// the measured window (after a warm-up).
//
// IPC: receives a Job; sends {type:'measuring'} when the measured window starts, then
// {type:'result', ...Result}.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { createSubscriberFleet, DeliveryLedger, Metrics } from '../../src/load/index.js';

export type ClientKind = 'raw' | 'fleet' | 'fleet+ledger';

export interface Job {
  kind: ClientKind;
  url: string;
  subscribers: number;
  window: number;
  warmupMs: number;
  durationMs: number;
}

export interface Result {
  delivered: number;
  seconds: number;
  cpuS: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Connects, runs, and returns a counter read function and a stop function. */
async function startRaw(job: Job): Promise<{ delivered: () => number; stop: () => Promise<void> }> {
  let delivered = 0;
  const half = Math.max(1, Math.floor(job.window / 2));
  const sockets = await Promise.all(
    Array.from({ length: job.subscribers }, (_, i) => {
      const ws = new WebSocket(`${job.url}/v1/subscribe?stream=s${i % 10}`, { perMessageDeflate: false });
      let used = 0;
      return new Promise<WebSocket>((resolve, reject) => {
        ws.once('error', reject);
        ws.on('message', (data) => {
          const f = JSON.parse(String(data)) as { deliver?: { id: string }; subscribed?: unknown };
          if (f.deliver) {
            delivered++;
            ws.send(`{"ack":${JSON.stringify(f.deliver.id)}}`);
            if (++used === half) {
              used = 0;
              ws.send(`{"credit":${half}}`);
            }
          } else if (f.subscribed) {
            ws.send(`{"credit":${job.window}}`);
            resolve(ws);
          }
        });
      });
    }),
  );
  return {
    delivered: () => delivered,
    stop: async () => {
      await Promise.all(
        sockets.map(
          (ws) =>
            new Promise<void>((r) => {
              if (ws.readyState === WebSocket.CLOSED) return r();
              ws.once('close', () => r());
              ws.terminate();
            }),
        ),
      );
    },
  };
}

async function startFleet(
  job: Job,
  withLedger: boolean,
): Promise<{ delivered: () => number; stop: () => Promise<void> }> {
  const metrics = new Metrics({ mainMetric: 'ws.delivery.enqueuedAt' });
  const fleet = createSubscriberFleet({
    count: job.subscribers,
    streams: Array.from({ length: 10 }, (_, i) => `s${i}`),
    url: job.url,
    metrics,
    ledger: withLedger ? new DeliveryLedger() : undefined,
    credit: { window: job.window, refillAt: job.window - Math.max(1, Math.floor(job.window / 2)) },
    ack: { nackRate: 0 },
  });
  await Promise.all(fleet.map((s) => s.connect()));
  return {
    delivered: () => metrics.counter('ws.deliveries'),
    stop: async () => {
      await Promise.all(fleet.map((s) => s.close(1000, 2000)));
    },
  };
}

process.once('message', (job: Job) => {
  const hard = setTimeout(() => process.exit(3), job.warmupMs + job.durationMs + 30_000);
  (async () => {
    const run = job.kind === 'raw' ? await startRaw(job) : await startFleet(job, job.kind === 'fleet+ledger');
    await sleep(job.warmupMs);
    process.send?.({ type: 'measuring' });
    const d0 = run.delivered();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(job.durationMs);
    const delivered = run.delivered() - d0;
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await run.stop();
    clearTimeout(hard);
    const result: Result = { delivered, seconds, cpuS: (cpu.user + cpu.system) / 1e6 };
    process.send?.({ type: 'result', ...result }, () => process.exit(0));
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
