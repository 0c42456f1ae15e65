// From memory samples to the MemoryReport: a trend verdict on the post-GC heap (when the
// target reports it) and on RSS, judged over the load itself (samples after `untilS`,
// the drain and settle period, are kept and drawn but not judged), the overall verdict
// (verdict/memory.ts's one rule), and RSS min/max/avg and first→last change (raw,
// warm-up included: the trends are what judge growth).
import type { HeapSourceInfo, MemoryReport, MemorySample, TrendVerdict } from '../result.js';
import { combineVerdicts, memorySeries } from '../verdict/memory.js';
import { judgeTrend } from '../verdict/trend.js';
import { memoryComposition } from './composition.js';
import type { TrendOptions } from '../verdict/trend.js';

export interface AnalyzeMemoryContext {
  /** Where the post-GC readings came from (MemorySampler.heapSource). */
  heap?: HeapSourceInfo;
  /** Judge only samples up to this many seconds (the end of the load). @default all */
  untilS?: number;
  /** Whose memory this is: the target's (hints name its inspector) or the generator's own. @default 'target' */
  subject?: 'target' | 'generator';
}

export function analyzeMemory(
  samples: readonly MemorySample[],
  source: MemoryReport['source'],
  options: TrendOptions = {},
  context: AnalyzeMemoryContext = {},
): MemoryReport {
  const { heap, untilS = Infinity, subject = 'target' } = context;
  // Without `heap`, samples are judged as older results were written (see memorySeries).
  const series = (metric: TrendVerdict['metric']) =>
    memorySeries(heap ? { samples: [...samples], heap } : [...samples], metric).filter((p) => p.t <= untilS);
  const trends: TrendVerdict[] = [];
  const postGc = series('postGcHeap');
  if (postGc.length > 0) {
    const trend = judgeTrend('postGcHeap', postGc, options);
    if (trend.inconclusive === 'samples' && heap?.source !== 'inspector' && subject === 'target') {
      trend.reason +=
        ' (without an inspector the target reports its heap only after its own full GCs: start it with --inspect and give the harness CONDUIT_TARGET_INSPECT)';
    }
    trends.push(trend);
  } else if (samples.some((s) => typeof s.heapUsedBytes === 'number') || heap?.note) {
    // The target answers with heap figures but gave no post-GC reading: say so.
    trends.push({
      metric: 'postGcHeap',
      verdict: 'inconclusive',
      inconclusive: 'no-data',
      fitted: false,
      slopeMBPerMin: 0,
      projectedMBPerHour: 0,
      pValue: 1,
      samples: 0,
      warmupS: 0,
      reason: heap?.note
        ? `no post-GC reading: ${heap.note}`
        : subject === 'generator'
          ? 'no post-GC reading: the generator ran no full GC during the run (its readings come from its own GCs; none is forced, to keep its measurements free of pauses)'
          : 'no post-GC reading: the target ran no full GC during the run (memwatch reports the heap only after one), or it does not run memwatch; give the harness its inspector (--inspect) for readings on a cadence',
    });
  }
  const rss = series('rss');
  if (rss.length > 0 || trends.length === 0)
    trends.push(withoutUncollectedGarbage(judgeTrend('rss', rss, options), samples, postGc.length));
  const values = samples.map((s) => s.rssBytes).filter((v) => v > 0);
  const n = values.length;
  // Over the window the RSS trend judged: after its warm-up, up to the end of the load.
  const rssWarmupS = trends.find((t) => t.metric === 'rss')?.warmupS ?? 0;
  const composition = memoryComposition(samples, (samples[0]?.t ?? 0) + rssWarmupS, untilS);
  return {
    source: n === 0 ? 'none' : source,
    ...(heap ? { heap } : {}),
    samples: [...samples],
    trends,
    verdict: combineVerdicts(trends.map((t) => t.verdict)),
    rss: {
      minBytes: n ? Math.min(...values) : 0,
      maxBytes: n ? Math.max(...values) : 0,
      avgBytes: n ? Math.round(values.reduce((a, b) => a + b, 0) / n) : 0,
      growthBytes: n ? values[n - 1] - values[0] : 0,
    },
    ...(composition ? { composition } : {}),
  };
}

/**
 * A rising RSS of a garbage-collected process that ran no full GC during the judged
 * window (at most one post-GC reading in it) is not evidence of a leak: its old space
 * still holds the garbage of the whole window. That RSS trend says *not judged* instead
 * of `growing`. Only when the samples carry heap figures (a V8 process); a process that
 * reports no heap at all is judged on RSS as it is.
 */
function withoutUncollectedGarbage(
  trend: TrendVerdict,
  samples: readonly MemorySample[],
  postGcReadings: number,
): TrendVerdict {
  if (trend.verdict !== 'growing' || postGcReadings >= 2 || !samples.some((s) => typeof s.heapUsedBytes === 'number'))
    return trend;
  return {
    ...trend,
    verdict: 'inconclusive',
    inconclusive: 'samples',
    reason: `rising (${trend.reason}), but no full GC ran during the judged window (${postGcReadings} post-GC reading${postGcReadings === 1 ? '' : 's'}): RSS still holds the window's garbage — run longer, or give the harness the process's inspector`,
  };
}
