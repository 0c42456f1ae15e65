// Worker threads: the merge of per-worker recordings equals one recorder's, a real
// threaded run against a server on port 0 adds up exactly, and bad input or a
// misbehaving worker ends the run with an error naming the worker — nothing hangs.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildScenarioResult,
  decodeHistogram,
  mergeWorkerResults,
  Metrics,
  resolveWorkers,
  runScenario,
  runWorkers,
  WorkerFailure,
} from '../../src/load/index.js';
import type { Options } from './fixtures/workers/http-workload.js';

const MODULE = new URL('./fixtures/workers/http-workload.ts', import.meta.url);
const TARGET = { url: 'http://127.0.0.1', managed: false };

describe('merging worker recordings', () => {
  it('equals recording everything in one Metrics: histograms, counters, statuses, errors, series counts', async () => {
    let clock = 0;
    const now = () => clock;
    const single = new Metrics({ now });
    const parts = [new Metrics({ now }), new Metrics({ now }), new Metrics({ now })];
    const record = (m: Metrics, i: number) => {
      const end = m.begin();
      m.recordLatency('http.latency', 0.05 + ((i * 7919) % 5000) / 97);
      m.recordValue('upload.size', 1024 * (1 + (i % 13)), 'bytes');
      m.status(i % 10 === 0 ? 503 : 200);
      m.bytes(100 + (i % 7), 20);
      m.completed();
      if (i % 17 === 0) m.error(i % 2 ? 'ECONNRESET' : 'TIMEOUT');
      end();
    };
    let i = 0;
    for (let tick = 1; tick <= 5; tick++) {
      for (let k = 0; k < 300 * tick; k++, i++) {
        record(single, i);
        record(parts[i % 3], i);
      }
      clock = tick * 1000;
      for (const m of [single, ...parts]) m.rollInterval();
    }
    const build = (metrics: Metrics) =>
      buildScenarioResult({
        scenario: 's',
        startedAt: '2026-01-01T00:00:00.000Z',
        durationS: 5,
        target: TARGET,
        metrics,
      });
    const one = build(single);
    const merged = await mergeWorkerResults(parts.map(build), 1000);

    expect(merged.counters).toEqual(one.counters);
    expect(merged.statusCodes).toEqual(one.statusCodes);
    expect(merged.errors).toEqual(one.errors);
    expect(Object.keys(merged.histograms)).toEqual(Object.keys(one.histograms));
    for (const name of Object.keys(one.histograms)) {
      expect(merged.histograms[name].summary, name).toEqual(one.histograms[name].summary);
      const a = decodeHistogram(merged.histograms[name].encoded);
      const b = decodeHistogram(one.histograms[name].encoded);
      for (const p of [1, 25, 50, 90, 99, 99.9, 100])
        expect(a.getValueAtPercentile(p), `${name} p${p}`).toBe(b.getValueAtPercentile(p));
    }
    expect(merged.throughput.requestsPerS).toBeCloseTo(one.throughput.requestsPerS, 6);
    // Series: one point per interval; counts add up exactly. Interval percentiles cannot be
    // added without their histograms: the merged point carries the worst worker's (an upper bound).
    expect(merged.series.map((p) => [p.t, p.requests, p.errors, p.bytes])).toEqual(
      one.series.map((p) => [p.t, p.requests, p.errors, p.bytes]),
    );
    merged.series.forEach((p, k) => {
      expect(p.p99).toBeGreaterThanOrEqual(Math.min(...parts.map((m) => build(m).series[k].p99)));
    });
  });
});

describe('resolveWorkers', () => {
  it('takes the option, else CONDUIT_LOAD_WORKERS, else 1, and refuses anything but an integer >= 1', () => {
    expect(resolveWorkers(undefined, {})).toBe(1);
    expect(resolveWorkers(undefined, { CONDUIT_LOAD_WORKERS: '3' })).toBe(3);
    expect(resolveWorkers(2, { CONDUIT_LOAD_WORKERS: '3' })).toBe(2);
    for (const bad of [0, -1, 1.5, Number.NaN])
      expect(() => resolveWorkers(bad, {}), String(bad)).toThrow(/workers: .*integer >= 1/);
    expect(() => resolveWorkers(undefined, { CONDUIT_LOAD_WORKERS: '2.5' })).toThrow(
      /CONDUIT_LOAD_WORKERS=2.5: .*integer >= 1/,
    );
    expect(() => resolveWorkers(undefined, { CONDUIT_LOAD_WORKERS: '0' })).toThrow(/integer >= 1/);
    expect(() => resolveWorkers(undefined, { CONDUIT_LOAD_WORKERS: 'many' })).toThrow(/CONDUIT_LOAD_WORKERS/);
  });
});

describe('runWorkers', () => {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
    res.end('ok');
  });
  let url = '';
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const options = (extra: Partial<Options> = {}) => ({ url, requests: 200, ...extra });

  it('runs each worker on its own thread and recorder; the merge is the sum of the workers', async () => {
    hits.clear();
    const out = await runWorkers({
      workers: 3,
      module: { url: MODULE, options: options() },
      scenario: 'w',
      target: TARGET,
      durationMs: 10_000,
      graceMs: 1000,
    });
    expect(out.results).toHaveLength(3);
    expect(out.results.map((r) => r.counters.requests)).toEqual([200, 200, 200]);
    expect([0, 1, 2].map((w) => hits.get(`/w${w}`))).toEqual([200, 200, 200]); // each worker its own index
    const merged = await mergeWorkerResults(out.results, 1000);
    expect(merged.counters.requests).toBe(600);
    expect(merged.statusCodes).toEqual({ '200': 600 });
    expect(merged.histograms['http.latency'].summary.count).toBe(600);
    expect(out.failures).toEqual([]);
    expect(out.loopLagP99Ms).toHaveLength(3);
  });

  it('a worker whose factory throws ends the run with its name; the others are stopped', async () => {
    const started = performance.now();
    const run = runWorkers({
      workers: 3,
      module: { url: MODULE, options: options({ requests: 1e7, mode: 'factory-throws' }) },
      scenario: 'w',
      target: TARGET,
      durationMs: 30_000,
      graceMs: 1000,
    });
    const error = (await run.catch((e: unknown) => e)) as WorkerFailure;
    expect(error).toBeInstanceOf(WorkerFailure);
    expect(error.message).toMatch(/^worker\[1\] of 3 failed: worker 1 has no workloads/);
    expect(error.worker).toBe(1);
    expect(error.stopped.sort()).toEqual([0, 2]); // told to stop, they did
    expect(error.terminated).toEqual([]);
    expect(performance.now() - started).toBeLessThan(10_000); // not the 30 s deadline
  });

  it('a worker that crashes, or a module without the export, is named too', async () => {
    const crash = runWorkers({
      workers: 2,
      module: { url: MODULE, options: options({ requests: 1e7, mode: 'crashes' }) },
      scenario: 'w',
      target: TARGET,
      durationMs: 30_000,
    });
    await expect(crash).rejects.toThrow(/^worker\[1\] of 2 crashed: a timer of worker 1 threw/);
    const missing = runWorkers({
      workers: 1,
      module: { url: MODULE, export: 'notAFactory', options: options() },
      scenario: 'w',
      target: TARGET,
      durationMs: 1000,
    });
    await expect(missing).rejects.toThrow(/worker\[0\] of 1 failed: .*no export "notAFactory"/);
  });

  it('a worker that never ends is named after its deadline, grace and straggler time; nothing hangs', async () => {
    const started = performance.now();
    const run = runWorkers({
      workers: 2,
      module: { url: MODULE, options: options({ requests: 1e7, mode: 'never-ends' }) },
      scenario: 'w',
      target: TARGET,
      durationMs: 300,
      graceMs: 200,
      stragglerMs: 300,
    });
    const error = (await run.catch((e: unknown) => e)) as WorkerFailure;
    expect(error.message).toMatch(/^worker\[0\] of 2 did not finish within 0\.3 s after its deadline and grace/);
    expect(error.stopped).toEqual([1]); // the well-behaved one had finished
    // Nothing hangs: the run ended at all, long before the worker (1e7 requests) would have.
    expect(performance.now() - started).toBeGreaterThanOrEqual(800); // deadline + grace + straggler time
  });

  it('a worker that never gets ready (its factory never returns) is named; nothing starts, nothing hangs', async () => {
    hits.clear();
    const run = runWorkers({
      workers: 2,
      module: { url: MODULE, options: options({ mode: 'never-ready' }) },
      scenario: 'w',
      target: TARGET,
      durationMs: 30_000,
      readyTimeoutMs: 10_000, // the ready worker must make it on a loaded machine (a thread loading tsx)
    });
    const error = (await run.catch((e: unknown) => e)) as WorkerFailure;
    expect(error.message).toMatch(/^worker\[1\] of 2 was not ready within 10\.0 s/);
    expect(hits.size).toBe(0); // the ready worker never got its go
  });

  it('runScenario runs a workerModule in threads and publishes the merged result', async () => {
    hits.clear();
    const task = { meta: {} as Record<string, unknown> };
    const result = await runScenario({
      name: 'threaded',
      target: { httpUrl: url, wsUrl: url.replace('http', 'ws'), managed: false },
      durationS: 20,
      workers: 2,
      workerModule: { url: MODULE, options: options({ requests: 150 }) },
      context: { task },
    });
    expect(task.meta.conduit).toBe(result);
    expect(result.config).toMatchObject({ workers: 2 });
    expect(result.config.workerLoopLagP99Ms).toHaveLength(2);
    expect(result.counters.requests).toBe(300);
    expect(result.statusCodes).toEqual({ '200': 300 });
    expect(result.histograms['http.latency'].summary.count).toBe(300);
    expect([hits.get('/w0'), hits.get('/w1')]).toEqual([150, 150]);
    expect(result.series.reduce((n, p) => n + p.requests, 0)).toBe(300);
    expect(result.durationS).toBeLessThan(20); // the workloads ended before the deadline
  });

  it('runScenario refuses workers > 1 for workloads given as a function', async () => {
    await expect(
      runScenario({
        name: 'x',
        target: { httpUrl: url, wsUrl: url.replace('http', 'ws'), managed: false },
        durationS: 1,
        workers: 2,
        workloads: () => [],
      }),
    ).rejects.toThrow(/workers: 2 needs workerModule/);
  });

  it('refuses a bad worker count before starting anything', async () => {
    await expect(
      runWorkers({ workers: 0, module: { url: MODULE }, scenario: 'w', target: TARGET, durationMs: 100 }),
    ).rejects.toThrow(/integer >= 1/);
  });
});
