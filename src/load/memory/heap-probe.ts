// HeapProbe: post-GC heap readings of a Node.js target through its inspector, taken when
// the harness asks — at a steady cadence, not only when V8 happens to run a full GC.
// A reading is ONE full (mark-compact) GC and the heap used right after it, read in the
// same call: what remains is the live heap, with no allocation sawtooth and no V8 sizing
// ramp in it.
//
// The GC is V8's own `gc()`, obtained in the target without restarting it
// (`v8.setFlagsFromString('--expose-gc')`, then `vm.runInNewContext('gc')`) and held by
// the inspector session only (no global is added). HeapProfiler.collectGarbage would do
// too, but it is V8's "low memory notification" — repeated full GCs and code flushing —
// and measured twice the pause (about 50 ms against 23 ms on the gateway's 16 MiB heap),
// with the same heap figure; it stays the fallback when `require` is not reachable.
// The same session runs V8's sampling heap profiler, so a growing run can say which
// allocation sites retained the growth (heap-sites.ts).
import { performance } from 'node:perf_hooks';
import { InspectorClient } from './inspector.js';
import type { InspectorClientOptions } from './inspector.js';
import type { SamplingProfile } from './heap-sites.js';

export interface HeapReading {
  /** V8 heap used right after the forced full GC. */
  postGcHeapBytes: number;
  /**
   * The pause the GC cost the target (ms): timed inside the target around `gc()`; with
   * the collectGarbage fallback, the command's round trip (an upper bound).
   */
  gcMs: number;
}

export class HeapProbe {
  readonly address: string;
  private readonly client: InspectorClient;
  private sampling = false;
  /** Remote object id of the target's gc function, when it could be had. */
  private gcFunction: string | undefined;

  private constructor(client: InspectorClient, address: string) {
    this.client = client;
    this.address = address;
  }

  /** Attach to a target's inspector (`--inspect`); throws InspectorError saying why not. */
  static async attach(address: string, options: InspectorClientOptions = {}): Promise<HeapProbe> {
    const probe = new HeapProbe(await InspectorClient.connect(address, options), address);
    probe.gcFunction = await probe.client
      .send<{ result?: { type?: string; objectId?: string } }>('Runtime.evaluate', {
        expression: "require('v8').setFlagsFromString('--expose-gc'), require('vm').runInNewContext('gc')",
        includeCommandLineAPI: true,
        objectGroup: 'conduit-heap-probe',
      })
      .then((answer) => (answer.result?.type === 'function' ? answer.result.objectId : undefined))
      .catch(() => undefined);
    return probe;
  }

  /** How the probe collects garbage: `gc` (one full GC) or `collectGarbage` (the fallback). */
  get method(): 'gc' | 'collectGarbage' {
    return this.gcFunction ? 'gc' : 'collectGarbage';
  }

  /**
   * One full GC in the target; resolves with the pause it took (ms) and, when the gc
   * function was had, the heap used right after it — read in the same call, before the
   * target runs anything else (a second command would count what it allocated meanwhile:
   * up to megabytes in a busy target).
   */
  private async fullGc(): Promise<{ gcMs: number; heapUsed?: number }> {
    const t0 = performance.now();
    if (this.gcFunction) {
      const answer = await this.client.send<{ result?: { value?: unknown } }>('Runtime.callFunctionOn', {
        objectId: this.gcFunction,
        functionDeclaration:
          'function () { const t = performance.now(); this(); const ms = performance.now() - t; return [ms, process.memoryUsage().heapUsed]; }',
        returnByValue: true,
      });
      const value = answer.result?.value;
      if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'number')
        return { gcMs: value[0], heapUsed: value[1] };
    } else {
      await this.client.send('HeapProfiler.collectGarbage');
    }
    return { gcMs: performance.now() - t0 };
  }

  get isOpen(): boolean {
    return this.client.isOpen;
  }

  /** Full GC in the target, then its heap used. */
  async read(): Promise<HeapReading> {
    const { gcMs, heapUsed } = await this.fullGc();
    const used = heapUsed ?? (await this.client.send<{ usedSize: number }>('Runtime.getHeapUsage')).usedSize;
    return { postGcHeapBytes: used, gcMs: Math.round(gcMs * 100) / 100 };
  }

  /** Start V8's sampling heap profiler (one sample per `intervalBytes` allocated, on average). */
  async startSampling(intervalBytes = 64 * 1024): Promise<void> {
    await this.client.send('HeapProfiler.enable');
    await this.client.send('HeapProfiler.startSampling', { samplingInterval: intervalBytes });
    this.sampling = true;
  }

  /** The sampled allocations alive now, after a full GC (needs startSampling). */
  async liveProfile(): Promise<SamplingProfile> {
    if (!this.sampling) throw new Error('HeapProbe.liveProfile: startSampling first');
    await this.fullGc();
    const { profile } = await this.client.send<{ profile: SamplingProfile }>(
      'HeapProfiler.getSamplingProfile',
      {},
      30_000,
    );
    return profile;
  }

  /** Stop sampling (when started) and detach. Never throws: the target may be gone. */
  async close(): Promise<void> {
    if (this.sampling && this.client.isOpen) await this.client.send('HeapProfiler.stopSampling').catch(() => undefined);
    this.sampling = false;
    await this.client.close().catch(() => undefined);
  }
}
