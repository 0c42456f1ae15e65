// Lossless histogram merging for the reporters, delegating to the harness's histogram
// helpers (src/load/histogram.ts) so recording and reporting share one convention:
// "ms" histograms hold microseconds, summaries come from the HDR histogram, never arrays.
// Imported from the module itself (not src/load/index.ts) to keep drivers and matchers
// out of the reporter process.

import { decodeHistogram, mergeEncoded, summarize } from '../../load/index.js';
import type { HistogramRecord } from '../../load/index.js';

export { decodeHistogram, summarize };

/** Adds the histograms of several records of one metric into one record. */
export function mergeHistogramRecords(records: readonly HistogramRecord[]): HistogramRecord {
  if (records.length === 0) throw new Error('mergeHistogramRecords needs at least one record');
  const first = records[0]!;
  if (records.length === 1) return first;
  const encoded = mergeEncoded(records.map((r) => r.encoded));
  return { unit: first.unit, encoded, summary: summarize(decodeHistogram(encoded), first.unit) };
}
