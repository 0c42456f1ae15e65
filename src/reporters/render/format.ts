// Number and label formatting shared by the renderers (pure, locale-independent).

import { formatPercent, rateUnit } from '../../load/index.js';
import type {
  HeapSourceInfo,
  HistogramRecord,
  MemoryReport,
  TrendVerdict,
  TrendVerdictKind,
} from '../../load/index.js';
import { formatSlope, trendLabel } from '../../load/index.js';

const MiB = 1024 * 1024;

/** ~3 significant figures, deterministic so snapshots stay stable. */
export function num(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100 || Number.isInteger(value)) return Math.round(value).toString();
  if (abs >= 10) return value.toFixed(1);
  // Small figures (ratios, slopes) keep 3 significant digits: 0.0123, 1.98.
  return Number(value.toPrecision(3)).toString();
}

export function bytes(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1024 * MiB) return `${num(value / (1024 * MiB))} GiB`;
  if (abs >= MiB) return `${num(value / MiB)} MiB`;
  if (abs >= 1024) return `${num(value / 1024)} KiB`;
  return `${Math.round(value)} B`;
}

export function mib(valueBytes: number): number {
  return valueBytes / MiB;
}

/** 0.0123 → "1.23%", 0.95 → "95%" (one definition with the matchers' messages). */
export function percent(ratio: number): string {
  return formatPercent(ratio);
}

export function signed(value: number, text = num(value)): string {
  return value > 0 ? `+${text}` : text;
}

/** A histogram value in its unit. */
export function histValue(value: number, unit: HistogramRecord['unit']): string {
  return unit === 'bytes' ? bytes(value) : num(value);
}

/** "http.latency (CO-corrected)" when a ".raw" twin exists, "(raw)" for the twin. */
export function histogramLabel(name: string, all: readonly string[]): string {
  if (name === 'ws.delivery.enqueuedAt') return `${name} (1 ms resolution)`;
  if (name.endsWith('.raw') && all.includes(name.slice(0, -4))) return `${name} (raw, uncorrected)`;
  if (all.includes(`${name}.raw`)) return `${name} (CO-corrected)`;
  return name;
}

/** Thousands separators without locale: 1234567 → "1,234,567". */
export function count(value: number): string {
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "TIMEOUT ×3, ECONNRESET ×1" (largest first), or "none". */
export function breakdown(record: Record<string, number>): string {
  const entries = Object.entries(record)
    .filter(([, v]) => v > 0)
    .sort(([ak, a], [bk, b]) => b - a || ak.localeCompare(bk));
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k} ×${count(v)}`).join(', ');
}

export function verdictMark(verdict: TrendVerdictKind | 'none'): string {
  return verdict === 'stable' ? '✓' : verdict === 'growing' ? '✗' : '?';
}

/** "RSS 94.5 MiB–119 MiB (first → last +25.0 MiB, warm-up included)": raw figures, not the verdict. */
export function rssRange(memory: Pick<MemoryReport, 'rss'>): string {
  const r = memory.rss;
  return `RSS ${bytes(r.minBytes)}–${bytes(r.maxBytes)} (first → last ${signed(r.growthBytes, bytes(r.growthBytes))}, warm-up included)`;
}

/**
 * "post-GC heap: stable, no leak above 2.0 MiB/min (+0.11 ± 0.03 MiB/min) — why; context";
 * growing trends carry the projection per hour; a trend that was not judged shows only
 * its reason, so no made-up 0 MiB/min appears.
 */
export function trendLine(trend: TrendVerdict): string {
  const label = trendLabel(trend.metric);
  if (trend.verdict === 'inconclusive') return `${label}: not judged — ${trend.reason.replace(/^not judged: /, '')}`;
  const se = trend.slopeStdErrMBPerMin !== undefined ? ` ± ${trend.slopeStdErrMBPerMin.toFixed(2)}` : '';
  const slope = `${signed(trend.slopeMBPerMin, trend.slopeMBPerMin.toFixed(2))}${se} MiB/min`;
  if (trend.verdict === 'growing') {
    return `${label}: growing ${slope} (projected ${signed(trend.projectedMBPerHour, trend.projectedMBPerHour.toFixed(1))} MiB/h) — ${trend.reason}`;
  }
  const bound =
    trend.minDetectableMBPerMin !== undefined ? `, no leak above ${formatSlope(trend.minDetectableMBPerMin)}` : '';
  return `${label}: stable${bound} (${slope}) — ${trend.reason}`;
}

/** "post-GC heap readings: a forced full GC every 2 s through the target's inspector (30 readings, pause median 23 ms, max 41 ms)". */
export function heapSourceText(heap: HeapSourceInfo | undefined): string | undefined {
  if (!heap) return undefined;
  const note = heap.note ? ` — ${heap.note}` : '';
  if (heap.source === 'inspector') {
    const pause =
      heap.gcMsMedian !== undefined
        ? `, pause median ${num(heap.gcMsMedian)} ms, max ${num(heap.gcMsMax ?? heap.gcMsMedian)} ms`
        : '';
    return `post-GC heap readings: a forced full GC every ${num(heap.everyS ?? 0)} s through the target's inspector (${count(heap.readings)} readings${pause})${note}`;
  }
  if (heap.source === 'memwatch')
    return `post-GC heap readings: the target's own full GCs, from its metrics URL (${count(heap.readings)} readings)${note}`;
  return `post-GC heap readings: none${note}`;
}

/**
 * A threshold figure with its unit: ratios as percentages, rates as "220 msg/s", other
 * units after the number; a text figure ("not judged", "no samples") as it is.
 */
export function thresholdValue(value: number | string, unit: string | undefined, comparator?: string): string {
  const prefix = comparator ? `${comparator} ` : '';
  if (typeof value !== 'number') return value;
  if (unit === 'ratio') return `${prefix}${percent(value)}`;
  if (!unit) return `${prefix}${num(value)}`;
  return `${prefix}${num(value)} ${unit.endsWith('PerS') ? rateUnit(unit) : unit}`;
}

/** At most `max` items, evenly spaced, always keeping the first and the last. */
export function downsample<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(items[Math.round((i * (items.length - 1)) / (max - 1))]!);
  return out;
}

/** Text columns padded to align (terminal tables). Numbers right-aligned by `align`. */
export function columns(
  rows: ReadonlyArray<readonly string[]>,
  align: ReadonlyArray<'l' | 'r'>,
  indent = '  ',
): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
    });
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, i) => {
            const pad = ' '.repeat(widths[i]! - [...cell].length);
            return align[i] === 'r' ? pad + cell : cell + pad;
          })
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

/**
 * When memory grows and the target's inspector was reachable: the allocation sites that
 * retained the growth, "+12.4 MiB leakTick (bench/fixtures/heap-leak.mjs:19:5)", with a
 * head line saying what they are. Nothing for a memory report that does not grow.
 */
export function growthLines(memory: Pick<MemoryReport, 'verdict' | 'growth'>): string[] {
  const g = memory.growth;
  if (memory.verdict !== 'growing' || !g) return [];
  if (g.note) return [`what grows: ${g.note}`];
  if (g.sites.length === 0)
    return [
      `what grows: no allocation site retained more between ${num(g.fromS)} s and ${num(g.toS)} s (the growth is outside the JS heap: buffers, native memory)`,
    ];
  return [
    `what grows — allocation sites retaining more at ${num(g.toS)} s than at ${num(g.fromS)} s (V8 sampling heap profile, after a full GC; ${signed(g.sampledGrowthBytes, bytes(g.sampledGrowthBytes))} sampled in all):`,
    ...g.sites.map((s) => `${signed(s.growthBytes, bytes(s.growthBytes))} ${s.site}${s.via ? ` via ${s.via}` : ''}`),
  ];
}

/** A baseline delta's relative change: "+138%", or "from 0" when the baseline was 0 (no ratio exists). */
export function relativeChange(d: { baseline: number; relative: number }): string {
  return d.baseline === 0 ? 'from 0' : `${signed(d.relative * 100, num(d.relative * 100))}%`;
}

/** "+69.4 ms (+138%)": a baseline delta in its unit (percentage points for a ratio) and its relative change. */
export function deltaText(d: { baseline: number; delta: number; relative: number; unit: string }): string {
  const abs = d.unit === 'ratio' ? `${num(d.delta * 100)} pp` : thresholdValue(d.delta, d.unit || undefined);
  return `${signed(d.delta, abs)} (${relativeChange(d)})`;
}
