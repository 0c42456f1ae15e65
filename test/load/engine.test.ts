import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConduitClient } from '../../src/load/drivers/http.js';
import { closedModel, LoadEngine, Metrics, openModel } from '../../src/load/index.js';
import type { TickEvent } from '../../src/load/index.js';

describe('closed model', () => {
  it('runs N users until the deadline, ticks, and stops by itself', async () => {
    const metrics = new Metrics({ mainMetric: 'op' });
    const engine = new LoadEngine(metrics, { durationMs: 350, tickMs: 100 });
    const ticks: TickEvent[] = [];
    const events: string[] = [];
    engine.on('start', () => events.push('start'));
    engine.on('tick', (t) => ticks.push(t));
    engine.on('done', () => events.push('done'));
    let concurrent = 0;
    let peak = 0;
    const done = await engine.run([
      closedModel({
        concurrency: 4,
        metric: 'op',
        op: async () => {
          peak = Math.max(peak, ++concurrent);
          await new Promise((r) => setTimeout(r, 10));
          concurrent--;
        },
      }),
    ]);
    expect(events).toEqual(['start', 'done']);
    expect(done.aborted).toBe(false);
    expect(done.elapsedS).toBeGreaterThanOrEqual(0.34);
    expect(done.elapsedS).toBeLessThan(0.35 * 5); // stops by itself: not far past its 350 ms
    expect(peak).toBe(4);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    const snap = metrics.snapshot();
    expect(snap.counters.requests).toBeGreaterThan(40);
    expect(snap.histograms.op.summary.p50).toBeGreaterThanOrEqual(9);
    expect(snap.concurrency.max).toBe(4);
    expect(snap.concurrency.mean).toBeGreaterThan(2.5);
    expect(snap.series.reduce((a, p) => a + p.requests, 0)).toBe(snap.counters.requests);
  });

  it('is bounded by count as well as time', async () => {
    const metrics = new Metrics();
    const engine = new LoadEngine(metrics, { durationMs: 10_000 });
    const done = await engine.run([
      closedModel({ concurrency: 3, metric: 'op', maxIterations: 25, op: async () => {} }),
    ]);
    expect(metrics.counter('requests')).toBe(25);
    expect(done.elapsedS).toBeLessThan(10 / 2); // the count ended it, not the 10 s duration
  });

  it('classifies thrown errors and failed results; rejected answers are not errors', async () => {
    const metrics = new Metrics();
    const engine = new LoadEngine(metrics, { durationMs: 5000 });
    let i = 0;
    await engine.run([
      closedModel({
        concurrency: 1,
        metric: 'op',
        maxIterations: 4,
        op: async () => {
          i++;
          if (i === 1) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
          if (i === 2) return { ok: false, error: 'HTTP_5XX' };
          if (i === 3) return { ok: false, rejected: true };
          return { ok: true };
        },
      }),
    ]);
    const snap = metrics.snapshot();
    expect(snap.errors).toEqual({ ECONNREFUSED: 1, HTTP_5XX: 1 });
    expect(snap.counters).toMatchObject({ requests: 4, errors: 2, rejected: 1 });
    expect(snap.histograms.op.summary.count).toBe(3); // the thrown one has no latency
  });

  it('operations in flight at the deadline finish within the default grace period', async () => {
    const metrics = new Metrics();
    const engine = new LoadEngine(metrics, { durationMs: 50, graceMs: undefined });
    await engine.run([closedModel({ concurrency: 3, metric: 'op', op: () => new Promise((r) => setTimeout(r, 200)) })]);
    expect(metrics.counter('aborted')).toBe(0);
    expect(metrics.counter('requests')).toBe(3);
  });

  it('abort() stops early; the grace period bounds in-flight work', async () => {
    const metrics = new Metrics();
    const engine = new LoadEngine(metrics, { durationMs: 60_000, graceMs: 50 });
    setTimeout(() => engine.abort(), 100);
    const done = await engine.run([
      closedModel({
        concurrency: 2,
        metric: 'op',
        op: ({ signal }) =>
          new Promise((resolve, reject) => {
            const t = setTimeout(resolve, 10_000);
            signal.addEventListener('abort', () => {
              clearTimeout(t);
              reject(new Error('aborted'));
            });
          }),
      }),
    ]);
    expect(done.aborted).toBe(true);
    expect(done.elapsedS).toBeLessThan(10 / 2); // the abort ended it, not the ops' 10 s
    expect(metrics.counter('aborted')).toBe(2);
    expect(metrics.counter('errors')).toBe(0);
  });
});

describe('open model against a target that stalls once', () => {
  let url = '';
  let stalled = false;
  const server = createServer((req, res) => {
    const answer = () => res.end('{"ok":true}');
    if (!stalled && req.url === '/stall-once') {
      stalled = true;
      setTimeout(answer, 500);
    } else answer();
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('shows the stall in the corrected p99 but not in the raw p99', async () => {
    const metrics = new Metrics({ mainMetric: 'http.latency' });
    const client = new ConduitClient({ url, metrics, connections: 1 });
    try {
      const engine = new LoadEngine(metrics, { durationMs: 3000 });
      await engine.run([
        openModel({
          ratePerS: 100,
          metric: 'http.latency',
          maxInflight: 1, // one connection, one request at a time: the generator must wait
          op: async ({ iteration }) =>
            client.request({ method: 'GET', path: iteration === 50 ? '/stall-once' : '/fast' }),
        }),
      ]);
    } finally {
      await client.close();
    }
    const snap = metrics.snapshot();
    const corrected = snap.histograms['http.latency'].summary;
    const raw = snap.histograms['http.latency.raw'].summary;
    expect(corrected.count).toBeGreaterThan(250);
    expect(raw.count).toBe(corrected.count);
    expect(raw.max).toBeGreaterThanOrEqual(490); // the stalled request itself
    expect(raw.p99).toBeLessThan(490); // one slow request among ~300 hides below p99 (raw)
    expect(corrected.p99).toBeGreaterThan(300); // ~50 arrivals queued behind it
    expect(corrected.p90).toBeGreaterThan(raw.p90);
    expect(snap.counters['http.latency.backlogMax']).toBeGreaterThanOrEqual(40);
    expect(snap.statusCodes['200']).toBe(corrected.count);
  });
});
