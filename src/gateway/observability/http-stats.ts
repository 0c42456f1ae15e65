// HTTP request statistics for GET /v1/metrics: counts by route and by status, and the
// latency distribution in an HDR histogram (microsecond resolution, 3 significant
// digits), reported in milliseconds.
import { createRequire } from 'node:module';
import type { Histogram } from 'hdr-histogram-js';

// Only the plain-JS 32-bit histogram (what `build()` returns by default): the package's
// index also loads its WebAssembly build, pako and ~180 KiB of modules the gateway never
// uses, ~10 MiB of resident memory (measured on the idle gateway).
type HistogramClass = new (lowestDiscernibleValue: number, highestTrackableValue: number, significantDigits: number) => Histogram;
const { default: Int32Histogram } = createRequire(import.meta.url)('hdr-histogram-js/dist/Int32Histogram.js') as { default: HistogramClass };

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

export class HttpStats {
  private requests = 0;
  private readonly byRoute = new Map<string, number>();
  private readonly byStatus = new Map<string, number>();
  private readonly latency = newLatencyHistogram();

  /** `route` is the route pattern (e.g. "POST /v1/enqueue"), never the raw URL. */
  record(route: string, status: number, durMs: number): void {
    this.requests += 1;
    this.byRoute.set(route, (this.byRoute.get(route) ?? 0) + 1);
    const s = String(status);
    this.byStatus.set(s, (this.byStatus.get(s) ?? 0) + 1);
    this.latency.recordValue(Math.max(1, Math.round(durMs * 1000)));
  }

  snapshot(): HttpStatsSnapshot {
    return {
      requests: this.requests,
      byRoute: Object.fromEntries(this.byRoute),
      byStatus: Object.fromEntries(this.byStatus),
      latencyMs: summariseMs(this.latency),
    };
  }
}
