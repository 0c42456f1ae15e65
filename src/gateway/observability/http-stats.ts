// HTTP request statistics for GET /v1/metrics and /metrics: per (method, route pattern)
// a RouteSeries with its count by status and its durations in the /metrics histogram's
// buckets, and one latency distribution for all requests in an HDR histogram
// (microsecond resolution, 3 significant digits), reported in milliseconds. Recording is on every request's path, so it only adds to numbers in
// objects found by two Map lookups; totals by route and by status are summed when a
// snapshot is taken.
import { createRequire } from 'node:module';
import type { Histogram } from 'hdr-histogram-js';
import { DurationCounts } from './duration-histogram.js';

// Only the plain-JS 32-bit histogram (what `build()` returns by default): the package's
// index also loads its WebAssembly build, pako and ~180 KiB of modules the gateway never
// uses, ~10 MiB of resident memory (measured on the idle gateway).
type HistogramClass = new (
  lowestDiscernibleValue: number,
  highestTrackableValue: number,
  significantDigits: number,
) => Histogram;
const { default: Int32Histogram } = createRequire(import.meta.url)('hdr-histogram-js/dist/Int32Histogram.js') as {
  default: HistogramClass;
};

export interface LatencySummaryMs {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  count: number;
}

export interface HttpStatsSnapshot {
  requests: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  latencyMs: LatencySummaryMs;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

export function newLatencyHistogram(): Histogram {
  const h = new Int32Histogram(1, 3_600_000_000, 3);
  h.autoResize = true; // as build() sets it
  return h;
}

export function summariseMs(h: Histogram): LatencySummaryMs {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p95: 0, p99: 0, max: 0, mean: 0, count: 0 };
  // A percentile reads the top of its HDR bucket, which can lie just above the exact
  // maximum: never report a percentile above the max.
  const us = (p: number) => round3(Math.min(h.getValueAtPercentile(p), h.maxValue) / 1000);
  return {
    p50: us(50),
    p90: us(90),
    p95: us(95),
    p99: us(99),
    max: round3(h.maxValue / 1000),
    mean: round3(h.mean / 1000),
    count: h.totalCount,
  };
}

/** The requests of one method and route pattern (e.g. POST /v1/enqueue). */
export class RouteSeries {
  /** "METHOD route", the key of /v1/metrics `byRoute`. */
  readonly key: string;
  /** Prometheus labels, built once (frozen). */
  readonly labels: Readonly<{ method: string; route: string }>;
  requests = 0;
  readonly byStatus = new Map<number, number>();
  /** Its durations in the /metrics histogram's buckets. */
  readonly duration = new DurationCounts();

  constructor(method: string, route: string) {
    this.key = `${method} ${route}`;
    this.labels = Object.freeze({ method, route });
  }
}

export class HttpStats {
  private readonly byMethod = new Map<string, Map<string, RouteSeries>>();
  private readonly latency = newLatencyHistogram();

  /** The series of `method` and route pattern `route` (never a raw URL: the set stays small). */
  series(method: string, route: string): RouteSeries {
    let routes = this.byMethod.get(method);
    if (!routes) {
      routes = new Map();
      this.byMethod.set(method, routes);
    }
    let s = routes.get(route);
    if (!s) {
      s = new RouteSeries(method, route);
      routes.set(route, s);
    }
    return s;
  }

  /** Record one finished request; returns its series. */
  record(method: string, route: string, status: number, durMs: number): RouteSeries {
    const s = this.series(method, route);
    s.requests += 1;
    s.byStatus.set(status, (s.byStatus.get(status) ?? 0) + 1);
    s.duration.observe(durMs / 1000);
    this.latency.recordValue(Math.max(1, Math.round(durMs * 1000)));
    return s;
  }

  /** Every series recorded so far. */
  *allSeries(): IterableIterator<RouteSeries> {
    for (const routes of this.byMethod.values()) yield* routes.values();
  }

  snapshot(): HttpStatsSnapshot {
    let requests = 0;
    const byRoute: Record<string, number> = {};
    const byStatus: Record<string, number> = {};
    for (const s of this.allSeries()) {
      if (s.requests === 0) continue;
      requests += s.requests;
      byRoute[s.key] = s.requests;
      for (const [status, n] of s.byStatus) byStatus[status] = (byStatus[status] ?? 0) + n;
    }
    return { requests, byRoute, byStatus, latencyMs: summariseMs(this.latency) };
  }
}
