import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { GeneratorMonitor, judgeGenerator, MemorySampler, readProcRss } from '../../src/load/index.js';
import { closedPort } from '../support/ports.js';
import { until } from '../support/until.js';

describe('MemorySampler', () => {
  it('reads VmRSS from /proc for a pid (this test process)', async () => {
    const rss = await readProcRss(process.pid);
    expect(rss).toBeGreaterThan(10 * 1024 * 1024);
    // /proc and process.memoryUsage see the same resident set, within a few MiB.
    expect(Math.abs(rss! - process.memoryUsage.rss())).toBeLessThan(16 * 1024 * 1024);
    expect(await readProcRss(2 ** 22 + 12345)).toBeUndefined();
  });

  it('samples the pid on demand and on its interval, and stops', async () => {
    const sampler = new MemorySampler({ pid: process.pid, intervalMs: 20 });
    expect(sampler.source).toBe('proc');
    sampler.start();
    await until(() => sampler.collected.length >= 3, 3000, '3 interval samples', 10);
    const samples = await sampler.stop();
    expect(samples.length).toBeGreaterThanOrEqual(4);
    expect(samples.every((s) => s.rssBytes > 0)).toBe(true);
    expect(samples.map((s) => s.t)).toEqual([...samples.map((s) => s.t)].sort((a, b) => a - b));
    const count = samples.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(sampler.collected.length).toBe(count);
  });

  it('takes heap and post-GC heap from a metrics URL (and RSS when no pid)', async () => {
    let calls = 0;
    const server = createServer((_req, res) => {
      calls++;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          process: { rssBytes: 100e6, heapUsedBytes: 40e6, postGcHeapBytes: calls === 1 ? null : 30e6 },
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`;
      const sampler = new MemorySampler({ metricsUrl: url });
      expect(sampler.source).toBe('metrics-url');
      await sampler.sampleNow();
      await sampler.sampleNow();
      const [first, second] = sampler.collected;
      expect(first).toMatchObject({ rssBytes: 100e6, heapUsedBytes: 40e6 });
      expect(first.postGcHeapBytes).toBeUndefined(); // null before the first full GC
      expect(second).toMatchObject({ rssBytes: 100e6, postGcHeapBytes: 30e6 });

      const both = new MemorySampler({ pid: process.pid, metricsUrl: url });
      await both.sampleNow();
      expect(both.collected[0].rssBytes).not.toBe(100e6); // RSS from /proc wins
      expect(both.collected[0].postGcHeapBytes).toBe(30e6);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('counts failures of an unreachable metrics URL without throwing', async () => {
    const sampler = new MemorySampler({
      metricsUrl: `http://127.0.0.1:${await closedPort()}/v1/metrics`,
      timeoutMs: 500,
    });
    await sampler.sampleNow();
    expect(sampler.collected).toHaveLength(0);
    expect(sampler.errors.count).toBeGreaterThanOrEqual(1);
    expect(sampler.errors.last).toMatch(/metrics URL/);
  });
});

describe('GeneratorMonitor', () => {
  it('flags a busy generator: CPU most of the run', () => {
    const g = judgeGenerator([95, 99, 98, 40, 97], 200e6, 20);
    expect(g.saturated).toBe(true);
    expect(g.reason).toMatch(/CPU above 90% of one core in 4 of 5 samples/);
    expect(g.cpuPercentMax).toBe(99);
  });

  it('flags event-loop lag and passes a relaxed run', () => {
    expect(judgeGenerator([10, 20], 1e8, 250).reason).toMatch(/event-loop lag p99 250.0 ms > 100 ms/);
    expect(judgeGenerator([10, 20, 95], 1e8, 5)).toMatchObject({ saturated: false, cpuPercentAvg: 41.7 });
  });

  it('measures this process: a blocked event loop shows as lag and CPU', async () => {
    const monitor = new GeneratorMonitor({ intervalMs: 50, lagLimitMs: 100 }).start();
    await new Promise((r) => setTimeout(r, 30));
    // busy: blocks the loop for 250 ms of wall time. (Not CPU time: process.cpuUsage()
    // counts every thread of the process, and test files run in worker threads.)
    const until = Date.now() + 250;
    while (Date.now() < until) {
      // spin
    }
    await new Promise((r) => setTimeout(r, 60));
    const health = monitor.stop();
    expect(health.eventLoopLagP99Ms).toBeGreaterThan(150);
    // Measured at all: on a quiet machine near 100 %; on a loaded one this process gets
    // only its share of a core, so no higher bound than "clearly not idle" holds.
    expect(health.cpuPercentMax).toBeGreaterThan(10);
    expect(health.rssBytesMax).toBeGreaterThan(10e6);
    expect(health.saturated).toBe(true);
  });
});
