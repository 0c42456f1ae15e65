// The gateway's metrics: a prom-client registry (GET /metrics) and the JSON document of
// GET /v1/metrics, built from HttpStats, ProcessStats, per-tenant counters and the
// sections other parts add (`ws`, `uploads`) through addJsonSection.
//
// Counting is on every request's path and scraping is not, so counters are plain
// numbers (HttpStats' series, the tenants' records) that the Prometheus counters copy
// in their collect() when /metrics is read — prom-client's own inc() would hash the
// label set on every request. The duration histogram likewise reads each series'
// bucket counts at scrape time (duration-histogram.ts).
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { GatewayMetrics } from '../context.js';
import type { StreamTotals } from '../streams/types.js';
import { ScrapedDurationHistogram } from './duration-histogram.js';
import { HttpStats } from './http-stats.js';
import { ProcessStats } from './process-stats.js';

const BUILTIN_SECTIONS = new Set(['process', 'http', 'streams', 'tenants']);

export class GatewayMetricsImpl implements GatewayMetrics {
  readonly registry = new Registry();
  readonly http = new HttpStats();
  readonly process: ProcessStats;
  private readonly sections = new Map<string, () => unknown>();
  private readonly tenants = new Map<string, Record<string, number>>();
  private streamTotals: (() => StreamTotals) | undefined;
  private inflight: () => number = () => 0;

  constructor(opts: { startedAt: number; memwatch: boolean }) {
    this.process = new ProcessStats(opts.startedAt, opts.memwatch);
    collectDefaultMetrics({ register: this.registry });
    const http = this.http;
    const tenants = this.tenants;
    new Counter({
      name: 'conduit_http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
      collect(this: Counter<'method' | 'route' | 'status'>) {
        this.reset();
        for (const s of http.allSeries()) {
          for (const [status, n] of s.byStatus) this.inc({ ...s.labels, status: String(status) }, n);
        }
      },
    });
    new ScrapedDurationHistogram(
      {
        name: 'conduit_http_request_duration_seconds',
        help: 'HTTP request duration',
        labelNames: ['method', 'route'],
        registers: [this.registry],
      },
      () => http.allSeries(),
    );
    new Counter({
      name: 'conduit_tenant_events_total',
      help: 'Per-tenant counters (requests, errors, enqueued, ...)',
      labelNames: ['tenant', 'counter'],
      registers: [this.registry],
      collect(this: Counter<'tenant' | 'counter'>) {
        this.reset();
        for (const [tenant, counters] of tenants) {
          for (const [counter, n] of Object.entries(counters)) this.inc({ tenant, counter }, n);
        }
      },
    });
    const post: Gauge = new Gauge({
      name: 'conduit_post_gc_heap_bytes',
      help: 'Heap used after the last full GC (CONDUIT_MEMWATCH=true), -1 when unknown',
      registers: [this.registry],
      collect: (): void => post.set(this.process.snapshot().postGcHeapBytes ?? -1),
    });
  }

  addJsonSection(name: string, fn: () => unknown): void {
    if (BUILTIN_SECTIONS.has(name)) {
      throw new Error(`/v1/metrics section "${name}" is built in`);
    }
    if (this.sections.has(name)) throw new Error(`/v1/metrics section "${name}" is already registered`);
    this.sections.set(name, fn);
  }

  countTenant(tenant: string, counter: string, by = 1): void {
    let counters = this.tenants.get(tenant);
    if (!counters) {
      counters = {};
      this.tenants.set(tenant, counters);
    }
    counters[counter] = (counters[counter] ?? 0) + by;
  }

  /** Record one finished HTTP request (`route` is the route pattern, never the raw URL). */
  recordRequest(method: string, route: string, status: number, durMs: number): void {
    this.http.record(method, route, status, durMs);
  }

  /** HTTP requests in flight right now (shown as http.inflight; the lifecycle counts them). */
  setInflightSource(fn: () => number): void {
    this.inflight = fn;
  }

  /** Wire the streams engine's totals into /v1/metrics (`streams`) and Prometheus gauges. */
  attachStreams(totals: () => StreamTotals): void {
    this.streamTotals = totals;
    const keys: Array<keyof StreamTotals> = [
      'enqueued',
      'delivered',
      'acked',
      'nacked',
      'redelivered',
      'deadLettered',
      'depth',
      'inflight',
      'streams',
      'subscribers',
      'timedOut',
      'creditStalls',
      'streamsEvicted',
    ];
    const gauge: Gauge<'figure'> = new Gauge({
      name: 'conduit_streams',
      help: 'Streams engine totals by figure (counters since start, and current depth/inflight/streams/subscribers; timedOut = ack timeouts, streamsEvicted = idle streams forgotten)',
      labelNames: ['figure'],
      registers: [this.registry],
      collect: () => {
        const t = totals();
        for (const k of keys) gauge.set({ figure: k }, Number(t[k] ?? 0));
      },
    });
  }

  async json(): Promise<Record<string, unknown>> {
    const doc: Record<string, unknown> = {
      process: this.process.snapshot(),
      http: { ...this.http.snapshot(), inflight: this.inflight() },
      streams: this.streamTotals ? this.streamTotals() : null,
      tenants: Object.fromEntries([...this.tenants].map(([k, v]) => [k, { ...v }])),
    };
    for (const [name, fn] of this.sections) {
      try {
        doc[name] = await fn();
      } catch (err) {
        doc[name] = { error: String(err) };
      }
    }
    return doc;
  }

  close(): void {
    this.process.close();
    this.registry.clear();
  }
}
