// GrowthProfile: which allocation sites of the target retained memory during the run.
// V8's sampling heap profiler runs in the target from the start (one sample per
// `intervalBytes` allocated, on average: cheap); at the start of the judged window and at
// the end of the load the live sampled allocations are read after a full GC, and their
// difference per allocation site is what grew — "+12.4 MiB leakTick (bench/fixtures/heap-leak.mjs:19:5)".
// The report shows it when the memory verdict is `growing`.
import type { HeapGrowth } from '../result.js';
import type { HeapProbe } from './heap-probe.js';
import type { SamplingProfile } from './heap-sites.js';
import { growthBySite, liveBySite } from './heap-sites.js';

export interface GrowthProfileOptions {
  /** Seconds after the scenario start of the window's first profile. */
  fromS: number;
  /** Seconds after the start of the last profile (the end of the load). */
  toS: number;
  /** Average bytes allocated per sample. @default 65536 */
  intervalBytes?: number;
  /** How many sites to keep. @default 5 */
  top?: number;
  /** Prefix stripped from file URLs so sites read as paths relative to it (e.g. the project root). */
  root?: string;
}

export class GrowthProfile {
  private readonly probe: HeapProbe;
  private readonly options: GrowthProfileOptions;
  private readonly timers: NodeJS.Timeout[] = [];
  private start: SamplingProfile | undefined;
  private end: SamplingProfile | undefined;
  private pending: Promise<unknown> = Promise.resolve();
  private failure: string | undefined;

  constructor(probe: HeapProbe, options: GrowthProfileOptions) {
    this.probe = probe;
    this.options = options;
  }

  /** Start sampling now and schedule both profiles (`fromS`, `toS` from now). */
  async begin(): Promise<this> {
    await this.probe.startSampling(this.options.intervalBytes ?? 64 * 1024);
    const at = (s: number, keep: (p: SamplingProfile) => void) => {
      const timer = setTimeout(
        () => {
          this.pending = this.pending
            .then(() => this.probe.liveProfile().then(keep))
            .catch((error: Error) => (this.failure ??= error.message));
        },
        Math.max(0, s * 1000),
      );
      timer.unref();
      this.timers.push(timer);
    };
    at(this.options.fromS, (p) => (this.start = p));
    at(this.options.toS, (p) => (this.end = p));
    return this;
  }

  /** Cancel what has not run yet, wait for what has, and say what grew (undefined without both profiles). */
  async finish(): Promise<HeapGrowth | undefined> {
    for (const timer of this.timers) clearTimeout(timer);
    await this.pending;
    if (!this.start || !this.end)
      return this.failure
        ? {
            fromS: this.options.fromS,
            toS: this.options.toS,
            sites: [],
            sampledGrowthBytes: 0,
            note: `heap profile not read: ${this.failure}`,
          }
        : undefined;
    const sites = growthBySite(this.start, this.end, this.options.top ?? 5).map((s) => ({
      ...s,
      site: this.relative(s.site),
      ...(s.via ? { via: this.relative(s.via) } : {}),
    }));
    const total = (p: SamplingProfile) => [...liveBySite(p).values()].reduce((sum, s) => sum + s.bytes, 0);
    return {
      fromS: this.options.fromS,
      toS: this.options.toS,
      sites,
      sampledGrowthBytes: total(this.end) - total(this.start),
    };
  }

  private relative(text: string): string {
    const root = this.options.root;
    return root ? text.split(`file://${root.replace(/\/$/, '')}/`).join('') : text;
  }
}
