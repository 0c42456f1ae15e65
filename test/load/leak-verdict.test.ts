// The memory verdict against a real gateway child process: it flips to `growing` when
// the gateway is made to leak (a fixture wrapping the app factory) and stays `stable`
// otherwise. Post-GC readings come through the child's inspector (--inspect on a random
// loopback port, read from its stderr): a forced full GC every 0.5 s over a 5 s run.
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startManagedGateway } from '../../src/load/gateway-target.js';
import type { ManagedGateway } from '../../src/load/gateway-target.js';
import {
  analyzeMemory,
  closedModel,
  ConduitClient,
  GrowthProfile,
  HeapProbe,
  LoadEngine,
  MemorySampler,
  Metrics,
} from '../../src/load/index.js';
import type { HeapGrowth, MemoryReport } from '../../src/load/index.js';

const entry = fileURLToPath(new URL('./fixtures/leaky-gateway.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const started: ManagedGateway[] = [];

afterAll(async () => {
  await Promise.all(started.map((g) => g.stop()));
});

async function measure(leakBytes: number): Promise<{ report: MemoryReport; growth: HeapGrowth | undefined }> {
  const gateway = await startManagedGateway({
    root,
    command: { command: process.execPath, args: ['--inspect=127.0.0.1:0', '--import', 'tsx', entry] },
    env: {
      ...process.env,
      FIXTURE_LEAK_BYTES: String(leakBytes),
      CONDUIT_LOG_LEVEL: 'silent',
      CONDUIT_HTTP_LOG: '/dev/null',
      CONDUIT_WS_LOG: '/dev/null',
    },
    logFile: `${root}reports/leak-fixture-${leakBytes}.log`,
  });
  started.push(gateway);
  const { target } = gateway;
  expect(target.inspector, "the inspector URL from the child's stderr").toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//);
  const probe = await HeapProbe.attach(target.inspector!);
  expect(probe.method).toBe('gc');
  const profile = await new GrowthProfile(probe, { fromS: 1, toS: 4.5, root }).begin();
  const metrics = new Metrics();
  const sampler = new MemorySampler({
    pid: target.pid,
    metricsUrl: target.metricsUrl,
    intervalMs: 250,
    heapProbe: probe,
    gcEveryS: 0.5,
  }).start();
  const client = new ConduitClient({ url: target.httpUrl, metrics, connections: 4 });
  try {
    await new LoadEngine(metrics, { durationMs: 5000 }).run([
      closedModel({
        concurrency: 4,
        metric: 'http.latency',
        thinkMs: 2, // Reads only: enqueues would (rightly) grow the unconsumed stream's memory.
        op: () => client.stats('leak'),
      }),
    ]);
  } finally {
    await client.close();
  }
  const samples = await sampler.stop();
  const growth = await profile.finish();
  await probe.close();
  expect(metrics.counter('requests')).toBeGreaterThan(500);
  expect(metrics.counter('errors')).toBe(0);
  expect(sampler.heapSource).toMatchObject({ source: 'inspector', everyS: 0.5 });
  expect(sampler.heapSource.readings).toBeGreaterThanOrEqual(8);
  // A 5 s run: by default a leak must add 10 % of the level within the run, which in 5 s
  // no clean run can rule out ("not judged"); here 1 MiB is enough.
  return {
    report: analyzeMemory(
      samples,
      sampler.source,
      { minGrowthMB: 1, minGrowthFraction: 0, maxDetectableMBPerMin: 30 },
      { heap: sampler.heapSource },
    ),
    growth,
  };
}

describe('memory verdict against a gateway child process', () => {
  it('is growing when every request leaks, stable otherwise', async () => {
    // Both runs at once: the suite stays fast, and both see the same machine load.
    const [{ report: leaky, growth }, { report: clean }] = await Promise.all([measure(32 * 1024), measure(0)]);
    const heap = (r: MemoryReport) => r.trends.find((t) => t.metric === 'postGcHeap');

    expect(heap(leaky)?.verdict, heap(leaky)?.reason).toBe('growing');
    expect(heap(leaky)!.slopeMBPerMin).toBeGreaterThan(10);
    expect(leaky.verdict).toBe('growing');
    // What grows: the fixture's request listener, named by the sampling heap profile.
    expect(growth?.sites[0]?.site, JSON.stringify(growth)).toMatch(
      /test\/load\/fixtures\/leaky-gateway\.ts:\d+:\d+\)$/,
    );
    expect(growth!.sites[0]!.growthBytes).toBeGreaterThan(1024 * 1024);

    expect(heap(clean)?.samples, 'post-GC heap samples').toBeGreaterThanOrEqual(8);
    expect(heap(clean)?.verdict, heap(clean)?.reason).toBe('stable');
  });
});
