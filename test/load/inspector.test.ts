import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startManagedGateway } from '../../src/load/gateway-target.js';
import type { ManagedGateway } from '../../src/load/gateway-target.js';
import { HeapProbe, InspectorError, resolveInspectorUrl, runScenario } from '../../src/load/index.js';
import type { ConduitTarget } from '../../src/load/index.js';
import { closedPort } from '../support/ports.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fake = fileURLToPath(new URL('./fixtures/fake-target.mjs', import.meta.url));
const started: ManagedGateway[] = [];
afterAll(async () => {
  await Promise.all(started.map((g) => g.stop()));
});

async function fakeTarget(args: string[]): Promise<ConduitTarget> {
  const gateway = await startManagedGateway({
    root,
    command: { command: process.execPath, args: [...args, fake] },
    env: { ...process.env, FAKE_MODE: 'ipc' },
    logFile: `${root}reports/inspector-fake.log`,
  });
  started.push(gateway);
  return gateway.target;
}

/** A scenario of `durationS` that does nothing but let the sampler read the target. */
function idle(target: ConduitTarget, durationS: number, gcEveryS: number) {
  return runScenario({
    name: 'idle',
    target,
    durationS,
    graceMs: 100,
    memory: { gcEveryS, heapProfile: false },
    workloads: () => [
      async (ctx) =>
        new Promise<void>((resolve) => ctx.stopping.addEventListener('abort', () => resolve(), { once: true })),
    ],
  });
}

describe('post-GC readings through the inspector', () => {
  it("finds a child's inspector on its stderr and reads its heap after one full GC", async () => {
    const target = await fakeTarget(['--inspect=127.0.0.1:0']);
    expect(target.inspector).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/[\w-]+$/);
    const probe = await HeapProbe.attach(target.inspector!);
    try {
      expect(probe.method).toBe('gc');
      const reading = await probe.read();
      expect(reading.postGcHeapBytes).toBeGreaterThan(1024 * 1024);
      expect(reading.gcMs).toBeGreaterThan(0);
    } finally {
      await probe.close();
    }
    // A target without --inspect has none.
    expect((await fakeTarget([])).inspector).toBeUndefined();
  });

  it('runScenario takes forced readings on its cadence and says where they came from', async () => {
    const target = await fakeTarget(['--inspect=127.0.0.1:0']);
    // Readings are taken on the sampler's 1 s ticks: a cadence of 1 s reads on every tick.
    const result = await idle(target, 3.2, 1);
    expect(result.memory.heap).toMatchObject({ source: 'inspector', everyS: 1 });
    expect(result.memory.heap!.readings).toBeGreaterThanOrEqual(4);
    expect(result.memory.samples.filter((s) => s.postGcHeapBytes !== undefined)).toHaveLength(
      result.memory.heap!.readings,
    );
    expect(result.memory.heap!.gcMsMedian).toBeGreaterThan(0);
  });

  it('an unreachable inspector is named in the report and the metrics URL serves instead', async () => {
    const target = await fakeTarget([]);
    const port = await closedPort();
    const result = await idle({ ...target, inspector: `127.0.0.1:${port}` }, 1.2, 0.5);
    expect(result.memory.heap?.source).toBe('memwatch'); // the fake target's metrics carry postGcHeapBytes
    expect(result.memory.heap?.note).toMatch(
      new RegExp(`^inspector 127\\.0\\.0\\.1:${port} not used: no inspector at 127\\.0\\.0\\.1:${port}`),
    );
    expect(result.memory.samples.length).toBeGreaterThan(0);
  });

  it('refuses inspector addresses that are not loopback, and says why', async () => {
    await expect(resolveInspectorUrl('ws://10.1.2.3:9229/abc')).rejects.toThrow(InspectorError);
    await expect(resolveInspectorUrl('example.com:9229')).rejects.toThrow(/not loopback/);
    expect(await resolveInspectorUrl('ws://127.0.0.1:9229/abc')).toBe('ws://127.0.0.1:9229/abc');
  });
});
