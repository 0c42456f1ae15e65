// A generator of bench/generator.ts, run as its own child process (one per run, so no
// generator inherits another's heap or JIT state): `harness` — closedModel + HttpClient
// through the public API, as a scenario uses them — or `autocannon` (programmatic).
// Both warm up first (JIT, sockets) and then measure a fresh run: requests, seconds,
// their own CPU over that run, and latency percentiles.
//
// IPC: receives a Job; sends {type:'measuring'} when the measured run starts and then
// {type:'result', ...Result}.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { closedModel, HttpClient, LoadEngine, Metrics } from '../../src/load/index.js';

export interface Job {
  kind: 'harness' | 'autocannon';
  url: string;
  connections: number;
  warmupMs: number;
  durationMs: number;
}

export interface Result {
  requests: number;
  errors: number;
  seconds: number;
  /** CPU seconds of this process (all threads) during the measured run, and its wall time. */
  cpuS: number;
  wallS: number;
  p50Ms: number;
  p99Ms: number;
}

async function harness(job: Job, measured: boolean): Promise<Result> {
  const metrics = new Metrics();
  const http = new HttpClient({ url: job.url, metrics, connections: job.connections });
  const engine = new LoadEngine(metrics, { durationMs: measured ? job.durationMs : job.warmupMs });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const done = await engine.run([
    async (ctx) => {
      try {
        await closedModel({
          concurrency: job.connections,
          metric: 'http.latency',
          op: ({ signal }) => http.request({ method: 'GET', path: '/', signal }),
        })(ctx);
      } finally {
        await http.close();
      }
    },
  ]);
  const cpu = process.cpuUsage(cpu0);
  const latency = metrics.snapshot().histograms['http.latency']?.summary;
  return {
    requests: metrics.counter('requests') - metrics.counter('errors'),
    errors: metrics.counter('errors'),
    seconds: done.elapsedS,
    cpuS: (cpu.user + cpu.system) / 1e6,
    wallS: (performance.now() - t0) / 1000,
    p50Ms: latency?.p50 ?? 0,
    p99Ms: latency?.p99 ?? 0,
  };
}

interface AutocannonResult {
  requests: { total: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  latency: { p50: number; p99: number };
}
type Autocannon = (opts: { url: string; connections: number; duration: number }) => Promise<AutocannonResult>;

async function autocannon(job: Job, measured: boolean): Promise<Result> {
  const run = createRequire(import.meta.url)('autocannon') as Autocannon;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await run({
    url: job.url,
    connections: job.connections,
    duration: (measured ? job.durationMs : job.warmupMs) / 1000,
  });
  const cpu = process.cpuUsage(cpu0);
  return {
    requests: r.requests.total,
    errors: r.errors + r.timeouts + r.non2xx,
    // autocannon counts completed requests up to its last 1 s sample tick, which can come
    // after the configured duration: its own duration is the matching denominator.
    seconds: r.duration || (performance.now() - t0) / 1000,
    cpuS: (cpu.user + cpu.system) / 1e6,
    wallS: (performance.now() - t0) / 1000,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
  };
}

process.once('message', (job: Job) => {
  const run = job.kind === 'harness' ? harness : autocannon;
  const hard = setTimeout(() => process.exit(3), job.warmupMs + job.durationMs + 30_000);
  (async () => {
    if (job.warmupMs > 0) await run(job, false);
    process.send?.({ type: 'measuring' });
    const result = await run(job, true);
    clearTimeout(hard);
    process.send?.({ type: 'result', ...result }, () => process.exit(0));
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
