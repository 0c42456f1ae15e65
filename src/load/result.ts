// The scenario result: what a load test hands to the reporters through
// `task.meta.conduit`. It is plain JSON (it crosses processes and blob files), carries
// encoded HDR histograms so runs from several machines merge losslessly, and is
// versioned so results.json files from older runs can still be compared.

import type {} from 'vitest';

export const RESULT_SCHEMA = 'conduit.scenario/1' as const;

/** Percentile summary of one histogram, in the histogram's unit (ms unless stated). */
export interface PercentileSummary {
  count: number;
  min: number;
  mean: number;
  stdDev: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export interface HistogramRecord {
  /** e.g. "ms"; values are recorded in microseconds and summarised in `unit`. */
  unit: 'ms' | 'bytes' | 'count';
  /** hdr-histogram-js compressed base64 encoding (lossless; add to merge). */
  encoded: string;
  summary: PercentileSummary;
}

/** One interval (default 1 s) of a scenario, for charts. */
export interface IntervalPoint {
  /** Seconds since the scenario started (end of the interval). */
  t: number;
  requests: number;
  errors: number;
  bytes: number;
  /** Latency percentiles of this interval (ms), for the main latency metric. */
  p50: number;
  p99: number;
  /** In-flight operations at the end of the interval. */
  inflight: number;
}

export interface MemorySample {
  /** Seconds since the scenario started. */
  t: number;
  rssBytes: number;
  heapUsedBytes?: number;
  /** Heap after the last full GC (memwatch in the target). */
  postGcHeapBytes?: number;
}

export type TrendVerdictKind = 'stable' | 'growing' | 'inconclusive';

export interface TrendVerdict {
  metric: 'postGcHeap' | 'rss';
  verdict: TrendVerdictKind;
  /** Theil–Sen slope in MiB (1,048,576 bytes) per minute; "MB" in names means MiB. */
  slopeMBPerMin: number;
  projectedMBPerHour: number;
  /** Mann–Kendall two-sided p-value. */
  pValue: number;
  /** Samples used after the warm-up was discarded (post-GC heap: distinct full-GC readings). */
  samples: number;
  warmupS: number;
  /** Seconds from the first to the last sample judged (after the warm-up). */
  windowS?: number;
  /** True when a slope was fitted (enough samples), even if the window was too short to judge. */
  fitted?: boolean;
  /** Why an `inconclusive` verdict: too few samples, or a judged window too short. */
  inconclusive?: 'samples' | 'window' | 'no-data';
  /** Median of the judged values, MiB. */
  levelMB?: number;
  reason: string;
}

export interface MemoryReport {
  source: 'proc' | 'metrics-url' | 'ipc' | 'none';
  samples: MemorySample[];
  trends: TrendVerdict[];
  /** Overall verdict: growing if any trend grows, inconclusive if none can decide, else stable. */
  verdict: TrendVerdictKind;
  rss: { minBytes: number; maxBytes: number; avgBytes: number; growthBytes: number };
}

export interface GeneratorHealth {
  cpuPercentMax: number;
  cpuPercentAvg: number;
  rssBytesMax: number;
  eventLoopLagP99Ms: number;
  /** True when the load generator itself was the bottleneck; figures are then suspect. */
  saturated: boolean;
  reason?: string;
  /** CPU of the target, the generator and the rest of the machine, side by side. */
  machine?: MachineView;
}

/** Where the machine's CPU went during a run (Linux /proc; cores = CPU-seconds per second). */
export interface MachineView {
  cores: number;
  /** Means over the run. The target's only when its pid is known (same machine). */
  generatorCores: number;
  targetCores?: number;
  /** Other processes on the machine. */
  otherCores: number;
  /** Interrupt handling (irq + softirq; loopback network delivery lands here). */
  irqCores: number;
  /** The busiest interval of the whole machine, in cores. */
  busiestCores: number;
  /** What was at its limit: the whole machine, the target, the generator, or nothing. */
  limit: 'machine' | 'target' | 'generator' | 'none';
  /** One line for reports, e.g. "machine CPU-bound (1.96 of 2 cores): target 1.02, generator 0.71, …". */
  summary: string;
}

export interface DeliveryLedgerSummary {
  enqueued: number;
  deliveredUnique: number;
  duplicates: number;
  lost: number;
  /** Up to 20 lost ids, for the report. */
  lostSample: string[];
}

export interface ThresholdOutcome {
  name: string;
  measured: number | string;
  allowed: number | string;
  /** Unit of the figures: "ms", "MiB", "msg/s", or "ratio" (rendered as a percentage). */
  unit?: string;
  /** How measured must relate to allowed, for display ("allowed < 1%"). */
  comparator?: '<' | '≤' | '≥' | '>';
  passed: boolean;
  message: string;
}

export interface ScenarioResult {
  schema: typeof RESULT_SCHEMA;
  /** Scenario name (e.g. "uploads"); results with the same name merge across machines. */
  scenario: string;
  startedAt: string;
  durationS: number;
  target: { url: string; pid?: number; managed: boolean };
  /** The knobs in force (clients, sizes, duration…). */
  config: Record<string, unknown>;
  /** Named histograms, e.g. "http.latency", "http.latency.raw", "ws.delivery", "ws.connect". */
  histograms: Record<string, HistogramRecord>;
  /** Monotonic totals, e.g. requests, responses, bytesSent, deliveries, acks, nacks, grants. */
  counters: Record<string, number>;
  /** HTTP status code → count. */
  statusCodes: Record<string, number>;
  /** Error type (ECONNREFUSED, ECONNRESET, TIMEOUT, HTTP_5XX, …) → count. */
  errors: Record<string, number>;
  /** Derived rates, e.g. requestsPerS, MBPerS, messagesPerS, connectionsPerS. */
  throughput: Record<string, number>;
  concurrency: { max: number; mean: number };
  series: IntervalPoint[];
  memory: MemoryReport;
  ledger?: DeliveryLedgerSummary;
  generator: GeneratorHealth;
  thresholds: ThresholdOutcome[];
}

/** The key under `task.meta` where a scenario test stores its result. */
export const META_KEY = 'conduit' as const;

declare module 'vitest' {
  interface TaskMeta {
    conduit?: ScenarioResult;
  }
}
