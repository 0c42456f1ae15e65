// Lossless histogram merging for the reporters. Percentiles always come from an HDR
// histogram (never from arrays); merged results are decoded, added and re-encoded.
//
// Convention shared with the harness (src/load): histograms whose unit is "ms" record
// microseconds, so summaries divide by 1000; "bytes" and "count" record the value as is.

import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import type { HistogramRecord, PercentileSummary } from '../../src/load/result.js';

export function unitScale(unit: HistogramRecord['unit']): number {
  return unit === 'ms' ? 1000 : 1;
}

export function decodeHistogram(encoded: string): Histogram {
  // 64-bit counts: merged soak runs can exceed 2^31 recordings in a bucket.
  return hdr.decodeFromCompressedBase64(encoded, 64, false);
}

export function summarise(histogram: Histogram, unit: HistogramRecord['unit']): PercentileSummary {
  const scale = unitScale(unit);
  const at = (p: number) => histogram.getValueAtPercentile(p) / scale;
  const count = histogram.totalCount;
  if (count === 0) {
    return { count: 0, min: 0, mean: 0, stdDev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  }
  return {
    count,
    // Bucket-equivalent min/max (as percentiles 0/100) so a merged histogram and one
    // recorded directly from the same values summarise identically.
    min: at(0),
    mean: histogram.mean / scale,
    stdDev: histogram.stdDeviation / scale,
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: at(100),
  };
}

/** Adds the histograms of several records of one metric into one record. */
export function mergeHistogramRecords(records: readonly HistogramRecord[]): HistogramRecord {
  if (records.length === 0) throw new Error('mergeHistogramRecords needs at least one record');
  const first = records[0]!;
  if (records.length === 1) return first;
  const total = decodeHistogram(first.encoded);
  // A decoded histogram is sized to its own data; let it grow to hold the others.
  total.autoResize = true;
  for (const record of records.slice(1)) total.add(decodeHistogram(record.encoded));
  return {
    unit: first.unit,
    encoded: hdr.encodeIntoCompressedBase64(total),
    summary: summarise(total, first.unit),
  };
}
