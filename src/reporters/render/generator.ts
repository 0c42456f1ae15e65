// The load generator's own memory in the reports (pure): a `generator memory growing`
// warning for every source whose generator memory trend grows — the same verdict as the
// target's, applied to the harness itself — and a short memory text for the figures.
// A generator that leaks pauses for GC and competes for the machine: its figures are
// suspect and a soak's target verdict can be, too.

import type { MemoryReport, TrendVerdict } from '../../load/index.js';
import { memoryVerdictText } from '../metrics.js';
import type { MergedScenario } from '../model.js';
import { bytes, signed } from './format.js';

const LABEL: Record<TrendVerdict['metric'], string> = { postGcHeap: 'post-GC heap', rss: 'RSS' };

function slopeText(trend: TrendVerdict): string {
  return `${LABEL[trend.metric]} ${signed(trend.slopeMBPerMin, trend.slopeMBPerMin.toFixed(2))} MiB/min (projected ${signed(trend.projectedMBPerHour, trend.projectedMBPerHour.toFixed(1))} MiB/h)`;
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
    if (!memory || memory.verdict !== 'growing') return [];
    const who = multi ? ` [${source.label}]` : '';
    const growing = memory.trends.filter((t) => t.verdict === 'growing').map(slopeText).join(', ');
    return [`generator memory growing${who}: ${growing} · RSS ${bytes(memory.rss.minBytes)}–${bytes(memory.rss.maxBytes)} — the load generator itself leaks; its figures are suspect`];
  });
}
