// From memory samples to the MemoryReport: trends on post-GC heap (when the target
// reports it) and RSS, the overall verdict, and RSS min/max/avg and first→last change
// (raw, warm-up included: the trends are what judge growth).
import type { MemoryReport, MemorySample, TrendVerdict } from '../result.js';
import { judgeTrend, overallVerdict, seriesOf } from '../trend.js';
import type { TrendOptions } from '../trend.js';

export function analyzeMemory(
  samples: readonly MemorySample[],
  source: MemoryReport['source'],
  options: TrendOptions = {},
): MemoryReport {
  const trends: TrendVerdict[] = [];
  const heap = seriesOf(samples, 'postGcHeap');
  if (heap.length > 0) trends.push(judgeTrend('postGcHeap', heap, options));
  else if (samples.some((s) => typeof s.heapUsedBytes === 'number')) {
    // The target answers with heap figures but gave no post-GC reading: say so.
    trends.push({
      metric: 'postGcHeap', verdict: 'inconclusive', inconclusive: 'no-data', fitted: false,
      slopeMBPerMin: 0, projectedMBPerHour: 0, pValue: 1, samples: 0, warmupS: 0,
      reason: 'no post-GC reading: the target ran no full GC during the run (memwatch reports the heap only after one), or it does not run memwatch',
    });
  }
  const rss = seriesOf(samples, 'rss');
  if (rss.length > 0 || trends.length === 0) trends.push(judgeTrend('rss', rss, options));
  const values = rss.map((p) => p.value);
  const n = values.length;
  return {
    source: n === 0 ? 'none' : source,
    samples: [...samples],
    trends,
    verdict: overallVerdict(trends),
    rss: {
      minBytes: n ? Math.min(...values) : 0,
      maxBytes: n ? Math.max(...values) : 0,
      avgBytes: n ? Math.round(values.reduce((a, b) => a + b, 0) / n) : 0,
      growthBytes: n ? values[n - 1] - values[0] : 0,
    },
  };
}
