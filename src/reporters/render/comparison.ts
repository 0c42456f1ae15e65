// The A/A calibration view of a baseline comparison (pure): every compared figure, not
// only the flagged ones, with how close it came to its band (|Δ| / band: flagged above
// 1), and per kind of figure the minimum effect that would have kept the pair quiet.
// `npm run load:aa` and `scripts/compare-results.ts` print it.

import type { BaselineComparison, MetricDelta } from '../model.js';
import { columns, deltaText, num, thresholdValue } from './format.js';

export type DeltaKind = 'latency' | 'throughput' | 'errorRate' | 'memorySlope';

export function deltaKind(delta: Pick<MetricDelta, 'metric' | 'unit'>): DeltaKind {
  if (delta.metric === 'error rate') return 'errorRate';
  if (delta.metric.startsWith('memory slope')) return 'memorySlope';
  if (delta.metric.startsWith('throughput ')) return 'throughput';
  return 'latency';
}

/** |Δ| as a multiple of its band (0 when the band is 0 and nothing moved). */
export function bandRatio(delta: Pick<MetricDelta, 'delta' | 'allowed'>): number {
  if (delta.allowed > 0) return Math.abs(delta.delta) / delta.allowed;
  return delta.delta === 0 ? 0 : Infinity;
}

export interface KindCalibration {
  kind: DeltaKind;
  figures: number;
  flagged: number;
  /** Largest |Δ| / band of the kind. */
  worstRatio: number;
  /** Largest |relative change| among the figures of this kind that moved the wrong way. */
  worstRelative: number;
}

/** Per kind: how many figures, how many flagged, the closest call, the largest relative change for the worse. */
export function calibrate(deltas: readonly MetricDelta[]): KindCalibration[] {
  const kinds: DeltaKind[] = ['latency', 'throughput', 'errorRate', 'memorySlope'];
  return kinds
    .map((kind) => {
      const of = deltas.filter((d) => deltaKind(d) === kind);
      // The direction that would be a regression: lower for throughput, higher for the rest.
      const worse = of.filter((d) => (kind === 'throughput' ? d.delta < 0 : d.delta > 0));
      return {
        kind,
        figures: of.length,
        flagged: of.filter((d) => d.regression).length,
        worstRatio: of.reduce((m, d) => Math.max(m, bandRatio(d)), 0),
        worstRelative: worse.reduce((m, d) => Math.max(m, Math.abs(d.relative)), 0),
      };
    })
    .filter((k) => k.figures > 0);
}

export function renderComparison(comparison: BaselineComparison, title: string): string {
  const rows = [['', 'scenario', 'metric', 'baseline', 'current', 'delta', 'band', '|Δ|/band']];
  for (const d of comparison.deltas) {
    const ratio = d.unit === 'ratio';
    const value = (v: number) => thresholdValue(v, d.unit || undefined);
    rows.push([
      d.regression ? '🔺' : d.change === 'better' ? '✅' : '·',
      d.scenario,
      d.metric,
      value(d.baseline),
      value(d.current),
      deltaText(d),
      `± ${ratio ? `${num(d.allowed * 100)} pp` : value(d.allowed)}`,
      num(bandRatio(d)),
    ]);
  }
  const lines = [title, columns(rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r'])];
  for (const s of comparison.skipped ?? [])
    lines.push(`  ⚠ ${s.scenario}${s.metric ? ` ${s.metric}` : ''} not compared: ${s.why}`);
  if (comparison.missing.length > 0) lines.push(`  ⚠ not in the baseline: ${comparison.missing.join(', ')}`);
  for (const c of comparison.cautions ?? []) lines.push(`  ⚠ ${c.scenario}: ${c.why}`);
  const flagged = comparison.deltas.filter((d) => d.regression).length;
  lines.push(`  ${flagged === 0 ? 'quiet' : `${flagged} flagged`}: ${comparison.deltas.length} figures compared`);
  return lines.join('\n');
}

/** The per-kind calibration table and, when a pair was not quiet, the `noise` that would have kept it so. */
export function renderCalibration(kinds: readonly KindCalibration[], pairs: number, noisyPairs: number): string {
  const rows = [['kind', 'figures', 'flagged', 'closest |Δ|/band', 'largest change for the worse']];
  for (const k of kinds)
    rows.push([k.kind, String(k.figures), String(k.flagged), num(k.worstRatio), `${num(k.worstRelative * 100)}%`]);
  const lines = [
    `A/A: ${noisyPairs} of ${pairs} pair${pairs === 1 ? '' : 's'} flagged a regression`,
    columns(rows, ['l', 'r', 'r', 'r', 'r']),
  ];
  const loud = kinds.filter((k) => k.flagged > 0 && k.kind !== 'errorRate' && k.kind !== 'memorySlope');
  if (loud.length > 0) {
    const noise = loud.map((k) => `${k.kind}: { relative: ${Number((k.worstRelative * 1.1).toFixed(3))} }`).join(', ');
    lines.push(`  to keep these pairs quiet on this runner: noise: { ${noise} } (or a larger z)`);
  }
  return lines.join('\n');
}
