// A memory chart GitHub renders in markdown: a mermaid `xychart-beta` with RSS and the
// post-GC heap (MiB) over time. xychart has no legend, so the caption names the lines.

import type { MemoryReport } from '../../src/load/result.js';
import { downsample, mib } from './format.js';

const MAX_POINTS = 40;

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

export function renderMemoryXyChart(title: string, memory: MemoryReport): string | undefined {
  const samples = downsample(memory.samples, MAX_POINTS);
  if (samples.length < 2) return undefined;
  const rss = samples.map((s) => round1(mib(s.rssBytes)));
  const hasHeap = samples.every((s) => typeof s.postGcHeapBytes === 'number');
  const heap = hasHeap ? samples.map((s) => round1(mib(s.postGcHeapBytes!))) : [];
  const top = Math.ceil(Math.max(...rss, ...heap) * 1.1) || 1;
  const lines = [
    '```mermaid',
    'xychart-beta',
    `    title "${title.replace(/"/g, "'")}"`,
    `    x-axis "seconds" [${samples.map((s) => String(Math.round(s.t))).join(', ')}]`,
    `    y-axis "MiB" 0 --> ${top}`,
    `    line [${rss.join(', ')}]`,
  ];
  if (hasHeap) lines.push(`    line [${heap.join(', ')}]`);
  lines.push('```');
  return lines.join('\n');
}
