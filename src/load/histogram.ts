// HDR histogram helpers. Every latency is recorded in microseconds with 3 significant
// digits into an auto-resizing pure-JS histogram (the wasm build is never used, so
// encodings and merges behave the same in every process). Histograms travel as
// compressed base64 and are merged by *adding* them — percentiles are never averaged.
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import type { HistogramRecord, PercentileSummary } from './result.js';

export type { Histogram };
export type HistogramUnit = HistogramRecord['unit'];

/** A new histogram: lowest value 1, auto-resize, 3 significant digits, pure JS. */
export function createHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** Record a duration given in milliseconds (stored as whole microseconds, at least 1). */
export function recordMs(histogram: Histogram, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) return;
  histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
}

/** Record a plain value (bytes, counts) as an integer. */
export function recordValue(histogram: Histogram, value: number): void {
  if (!Number.isFinite(value) || value < 0) return;
  histogram.recordValue(Math.round(value));
}

export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  const decoded = decodeFromCompressedBase64(encoded, 32, false);
  // Decoded histograms keep the encoded range; let them grow when more is added.
  const target = createHistogram();
  target.add(decoded);
  return target;
}

/** Add encoded histograms (lossless) and return one encoded histogram. */
export function mergeEncoded(encoded: readonly string[]): string {
  const total = createHistogram();
  for (const e of encoded) total.add(decodeFromCompressedBase64(e, 32, false));
  return encodeHistogram(total);
}

const EMPTY: PercentileSummary = {
  count: 0,
  min: 0,
  mean: 0,
  stdDev: 0,
  p50: 0,
  p90: 0,
  p95: 0,
  p99: 0,
  p999: 0,
  max: 0,
};

/**
 * Percentile summary. For unit `ms` the histogram holds microseconds and the summary
 * is in milliseconds; other units are reported as recorded.
 */
export function summarize(histogram: Histogram, unit: HistogramUnit = 'ms'): PercentileSummary {
  if (histogram.totalCount === 0) return { ...EMPTY };
  const scale = unit === 'ms' ? 1 / 1000 : 1;
  const at = (p: number) => histogram.getValueAtPercentile(p) * scale;
  return {
    count: histogram.totalCount,
    min: histogram.minNonZeroValue * scale,
    mean: histogram.mean * scale,
    stdDev: histogram.stdDeviation * scale,
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    // The top bucket's value, not the exact maximum: identical before and after encode/merge.
    max: at(100),
  };
}

/** Value at any percentile, in the summary unit (ms for `ms`). */
export function percentile(histogram: Histogram, p: number, unit: HistogramUnit = 'ms'): number {
  if (histogram.totalCount === 0) return 0;
  return histogram.getValueAtPercentile(p) * (unit === 'ms' ? 1 / 1000 : 1);
}

export function toHistogramRecord(histogram: Histogram, unit: HistogramUnit = 'ms'): HistogramRecord {
  return { unit, encoded: encodeHistogram(histogram), summary: summarize(histogram, unit) };
}
