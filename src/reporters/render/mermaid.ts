// A memory chart GitHub renders in markdown: a mermaid `xychart-beta` with RSS, the
// post-GC heap and the fitted trend line (MiB) over time, the slope in the title.
// xychart has no legend, so the caption names the lines.

import type { MemoryReport } from '../../load/index.js';
import { fittedTrend } from '../metrics.js';
import { downsample, mib } from './format.js';

const MAX_POINTS = 40;

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

export function renderMemoryXyChart(title: string, memory: MemoryReport): string | undefined {
  const samples = downsample(memory.samples, MAX_POINTS);
  if (samples.length < 2) return undefined;
  const rss = samples.map((s) => round1(mib(s.rssBytes)));
  // Post-GC heap: the last full-GC reading at each sample. Before the first reading of
  // the run there is none; the line starts flat at that first reading.
  const first = samples.find((s) => typeof s.postGcHeapBytes === 'number')?.postGcHeapBytes;
  let last = first;
  const heap =
    first === undefined
      ? []
      : samples.map((s) => {
          last = s.postGcHeapBytes ?? last;
          return round1(mib(last!));
        });
  const hasHeap = heap.length > 0;
  // The fitted line the verdict recorded, extended over the chart's samples.
  const trend = fittedTrend(memory.trends);
  const line = trend?.line;
  const fit =
    line && line.toS > line.fromS
      ? samples.map((s) =>
          round1(Math.max(0, line.fromMB + ((line.toMB - line.fromMB) * (s.t - line.fromS)) / (line.toS - line.fromS))),
        )
      : [];
  const top = Math.ceil(Math.max(...rss, ...heap, ...fit) * 1.1) || 1;
  const slope = trend
    ? ` — ${trend.metric === 'rss' ? 'RSS' : 'post-GC heap'} ${trend.slopeMBPerMin > 0 ? '+' : ''}${trend.slopeMBPerMin.toFixed(2)} MiB/min${trend.verdict === 'inconclusive' ? ' (not judged)' : `, ${trend.verdict}`}`
    : ' — trend not judged';
  const lines = [
    '```mermaid',
    'xychart-beta',
    `    title "${(title + slope).replace(/"/g, "'")}"`,
    `    x-axis "seconds" [${xLabels(samples.map((s) => s.t)).join(', ')}]`,
    `    y-axis "MiB" 0 --> ${top}`,
    `    line [${rss.join(', ')}]`,
  ];
  if (hasHeap) lines.push(`    line [${heap.join(', ')}]`);
  if (fit.length > 0) lines.push(`    line [${fit.join(', ')}]`);
  lines.push('```');
  return lines.join('\n');
}

/** Whole seconds, or tenths when whole seconds would repeat a label (short runs). */
function xLabels(ts: number[]): string[] {
  const whole = ts.map((t) => String(Math.round(t)));
  return new Set(whole).size === whole.length ? whole : ts.map((t) => (Math.round(t * 10) / 10).toFixed(1));
}
