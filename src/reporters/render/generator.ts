// The load generator's own memory in the reports (pure): a `generator memory growing`
// warning for every source whose generator memory trend grows — the same verdict as the
// target's, applied to the harness itself — and a short memory text for the figures.
// A generator that leaks pauses for GC and competes for the machine: its figures are
// suspect and a soak's target verdict can be, too.

import type { MemoryComposition, MemoryReport, TrendVerdict } from '../../load/index.js';
import { memoryVerdictText } from '../metrics.js';
import type { MergedScenario } from '../model.js';
import { bytes, signed } from './format.js';

const LABEL: Record<TrendVerdict['metric'], string> = { postGcHeap: 'post-GC heap', rss: 'RSS' };

function slopeText(trend: TrendVerdict): string {
  return `${LABEL[trend.metric]} ${signed(trend.slopeMBPerMin, trend.slopeMBPerMin.toFixed(2))} MiB/min (projected ${signed(trend.projectedMBPerHour, trend.projectedMBPerHour.toFixed(1))} MiB/h)`;
}

const pct = (part: number, whole: number) => (whole > 0 ? `${signed(part, ((100 * part) / whole).toFixed(1))} %` : '');

/**
 * What the generator's RSS change after its warm-up is made of, e.g. "RSS +17.3 MiB
 * (+13.2 %) from 5.0 to 60.0 min: V8 heap +1.40 MiB (in use +1.20 MiB), external
 * +300 KiB (ArrayBuffers +200 KiB), outside V8 +15.6 MiB".
 */
export function compositionText(c: MemoryComposition): string {
  const b = (x: number) => signed(x, bytes(x));
  const min = (s: number) => (s / 60).toFixed(1);
  return (
    `RSS ${b(c.rssBytes)} (${pct(c.rssBytes, c.startRssBytes)}) from ${min(c.fromS)} to ${min(c.toS)} min: ` +
    `V8 heap ${b(c.heapTotalBytes)} (in use ${b(c.heapUsedBytes)}), external ${b(c.externalBytes)} (ArrayBuffers ${b(c.arrayBuffersBytes)}), outside V8 ${b(c.nativeBytes)}`
  );
}

/** "stable", "growing: RSS +3.10 MiB/min (projected +186.0 MiB/h)" or "not judged (…)". */
export function generatorMemoryText(memory: MemoryReport): string {
  const growing = memory.trends.filter((t) => t.verdict === 'growing');
  if (memory.verdict !== 'growing' || growing.length === 0) return memoryVerdictText(memory);
  return `growing: ${growing.map(slopeText).join(', ')}`;
}

/**
 * One warning per source whose generator memory grows (no icon: each format adds its
 * own), e.g. "generator memory growing: RSS +3.10 MiB/min (projected +186.0 MiB/h) ·
 * RSS 141 MiB–323 MiB — the load generator itself leaks; its figures are suspect".
 */
export function generatorMemoryWarnings(scenario: Pick<MergedScenario, 'sources'>): string[] {
  const multi = scenario.sources.length > 1;
  return scenario.sources.flatMap((source) => {
    const memory = source.generator.memory;
    if (memory?.verdict !== 'growing') return [];
    const who = multi ? ` [${source.label}]` : '';
    const growing = memory.trends
      .filter((t) => t.verdict === 'growing')
      .map(slopeText)
      .join(', ');
    const made = memory.composition ? ` · ${compositionText(memory.composition)}` : '';
    return [
      `generator memory growing${who}: ${growing} · RSS ${bytes(memory.rss.minBytes)}–${bytes(memory.rss.maxBytes)}${made} — the load generator itself leaks; its figures are suspect`,
    ];
  });
}
