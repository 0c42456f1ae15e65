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
  /**
   * Heap used right after a full GC, on the samples that took a NEW reading (a forced GC
   * through the inspector, or a full GC the target reported). Results written before
   * `MemoryReport.heap` existed repeat the last reading on every sample.
   */
  postGcHeapBytes?: number;
  /** V8's committed heap, external memory and the ArrayBuffers in it (process.memoryUsage(); the generator's own samples). */
  heapTotalBytes?: number;
  externalBytes?: number;
  arrayBuffersBytes?: number;
}

/**
 * What the RSS change over the judged window is made of (memory/composition.ts), in
 * bytes: each figure's change from the window's start to its end.
 */
export interface MemoryComposition {
  fromS: number;
  toS: number;
  /** RSS at the window's start. */
  startRssBytes: number;
  rssBytes: number;
  /** V8's committed heap, and the part of it in use. */
  heapTotalBytes: number;
  heapUsedBytes: number;
  /** Held outside V8's heap for JS objects (Buffers, ArrayBuffers…); arrayBuffersBytes is part of it. */
  externalBytes: number;
  arrayBuffersBytes: number;
  /** RSS outside V8's accounting: native allocations, thread stacks, allocator fragmentation, code. */
  nativeBytes: number;
}

export type TrendVerdictKind = 'stable' | 'growing' | 'inconclusive';

export interface TrendVerdict {
  metric: 'postGcHeap' | 'rss';
  verdict: TrendVerdictKind;
  /**
   * Fitted slope (leak-model.ts: the BIC-weighted average of the straight line and the best
   * warm-up model) in MiB (1,048,576 bytes) per minute; "MB" in names means MiB.
   */
  slopeMBPerMin: number;
  /** Standard error of the slope (robust residual scale, widened for serial correlation), MiB/min. */
  slopeStdErrMBPerMin?: number;
  /**
   * The smallest slope this run would have detected (80 % power), never below the
   * practical floor, MiB/min: a `stable` verdict means "no leak above this".
   */
  minDetectableMBPerMin?: number;
  /** Fitted growth over the judged window: slope × window, MiB. */
  growthMB?: number;
  projectedMBPerHour: number;
  /** One-sided p-value of "rising" (from the slope and its standard error). */
  pValue: number;
  /** Readings used after the warm-up (post-GC heap: distinct post-GC readings). */
  samples: number;
  warmupS: number;
  /** True when the warm-up end was fitted from the data (a two-segment fit), not fixed. */
  warmupFitted?: boolean;
  /** Seconds from the first to the last reading judged (after the warm-up). */
  windowS?: number;
  /** True when a slope was fitted (enough readings). */
  fitted?: boolean;
  /**
   * Why `inconclusive`: too few readings; too noisy to rule out a leak of a size that
   * matters (`undetectable`); no readings at all. (`window`: results of older versions,
   * which required a fixed window length.)
   */
  inconclusive?: 'samples' | 'undetectable' | 'no-data' | 'window';
  /** Median of the judged values, MiB. */
  levelMB?: number;
  /** The fitted trend over the judged window (the warm-up term left out), for charts: seconds and MiB. */
  line?: { fromS: number; toS: number; fromMB: number; toMB: number };
  reason: string;
}

/** Where a run's post-GC heap readings came from (see src/load/memory/sampler.ts). */
export interface HeapSourceInfo {
  /**
   * `inspector`: forced full GCs through the target's `--inspect` port at a steady cadence;
   * `memwatch`: the target's own full GCs, read from its metrics URL; `none`: no readings.
   */
  source: 'inspector' | 'memwatch' | 'none';
  /** Seconds between forced readings (inspector only). */
  everyS?: number;
  /** Post-GC readings taken. */
  readings: number;
  /** What a forced reading cost: median and max duration of the GC command, ms (inspector only). */
  gcMsMedian?: number;
  gcMsMax?: number;
  /** Why the source is not the inspector although one was asked for, or why it changed. */
  note?: string;
}

/** One allocation site that retained more at the end of the judged window than at its start. */
export interface HeapGrowthSite {
  /** The user frame that allocated: "leakTick (bench/fixtures/heap-leak.mjs:19:5)". */
  site: string;
  /** The builtin or internal frame that did the allocation for it. */
  via?: string;
  /** Retained bytes at the end (sampled estimate). */
  bytes: number;
  /** Retained at the end minus at the start (sampled estimate). */
  growthBytes: number;
}

/** What grew in the target, by allocation site (V8's sampling heap profiler through the inspector). */
export interface HeapGrowth {
  /** Seconds since the start of the two profiles compared. */
  fromS: number;
  toS: number;
  /** Largest growth first. */
  sites: HeapGrowthSite[];
  /** Sampled live bytes at the end minus at the start, all sites. */
  sampledGrowthBytes: number;
  /** Why there are no sites (a profile could not be read). */
  note?: string;
}

export interface MemoryReport {
  source: 'proc' | 'metrics-url' | 'ipc' | 'none';
  /** What grew, by allocation site, when the target's inspector was reachable. */
  growth?: HeapGrowth;
  /** Where the post-GC heap readings came from (absent in results written before it existed). */
  heap?: HeapSourceInfo;
  samples: MemorySample[];
  trends: TrendVerdict[];
  /** Overall verdict: growing if any trend grows, inconclusive if none can decide, else stable. */
  verdict: TrendVerdictKind;
  rss: { minBytes: number; maxBytes: number; avgBytes: number; growthBytes: number };
  /** What the RSS change over the judged window is made of, when the samples carry the figures (the generator's). */
  composition?: MemoryComposition;
}

export interface GeneratorHealth {
  cpuPercentMax: number;
  cpuPercentAvg: number;
  rssBytesMax: number;
  eventLoopLagP99Ms: number;
  /** True when the load generator itself was the bottleneck; figures are then suspect. */
  saturated: boolean;
  reason?: string;
  /**
   * The generator's own memory (RSS, heap, heap after its last full GC) and its trend
   * verdict, judged like the target's. Absent in results from older harness versions.
   */
  memory?: MemoryReport;
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

/**
 * The run in ~30 equal slices of time (src/load/batches.ts): per latency histogram its
 * count per slice and its percentiles (ms) over consecutive slices grouped until they
 * hold 5 (p50), 20 (p95) or 100 (p99) samples; per rate counter its count per slice.
 * What a baseline comparison knows of the run's own noise.
 */
export interface RunBatches {
  /** Slice width, seconds. */
  widthS: number;
  /** End of each slice, seconds since the start. */
  t: number[];
  latency: Record<string, { count: number[]; p50: number[]; p95: number[]; p99: number[] }>;
  /** Counter name (`bytes` = sent + received) → count per slice. */
  counts: Record<string, number[]>;
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
  /** Rates per second over the run: requestsPerS, MBPerS, messagesPerS, uploadsPerS (never totals ÷ duration). */
  throughput: Record<string, number>;
  concurrency: { max: number; mean: number };
  series: IntervalPoint[];
  /** Per-slice figures for baseline comparisons (absent in older results and merged scenarios). */
  batches?: RunBatches;
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
