// Table rows (header first) shared by the terminal, markdown and HTML renderers, so the
// three formats always show the same figures.

import { rateUnit } from '../../load/index.js';
import type { BaselineComparison, MergedScenario, RunReport } from '../model.js';
import { errorRate, latencyHistogramNames, memoryVerdictText, operations } from '../metrics.js';
import {
  breakdown,
  bytes,
  count,
  deltaText,
  histogramLabel,
  histValue,
  num,
  percent,
  thresholdValue,
} from './format.js';
import { compositionText, generatorMemoryText } from './generator.js';

export const PERCENTILE_ALIGN = ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'] as const;

/** histogram | unit | count | p50 | p90 | p95 | p99 | p99.9 | max | mean — latency first. */
export function percentileRows(scenario: Pick<MergedScenario, 'histograms'>): string[][] {
  const names = Object.keys(scenario.histograms);
  const ordered = [
    ...latencyHistogramNames(scenario),
    ...names.filter((n) => scenario.histograms[n]!.unit !== 'ms').sort(),
  ];
  const rows = [['histogram', 'unit', 'count', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'mean']];
  for (const name of ordered) {
    const { unit, summary: s } = scenario.histograms[name]!;
    const v = (x: number) => histValue(x, unit);
    rows.push([
      histogramLabel(name, names),
      unit,
      count(s.count),
      v(s.p50),
      v(s.p90),
      v(s.p95),
      v(s.p99),
      v(s.p999),
      v(s.max),
      v(s.mean),
    ]);
  }
  return rows;
}

/**
 * Which clock timed the WebSocket delivery latency, or undefined when the scenario has
 * none: `ws.delivery` counts from the generator's own send of the enqueue (µs clock),
 * `ws.delivery.enqueuedAt` from the gateway's epoch-ms stamp (messages the generator did
 * not send; 1 ms resolution).
 */
export function deliveryLatencyNote(scenario: Pick<MergedScenario, 'histograms'>): string | undefined {
  const fromSend = scenario.histograms['ws.delivery']?.summary.count ?? 0;
  const fromStamp = scenario.histograms['ws.delivery.enqueuedAt']?.summary.count ?? 0;
  if (fromSend + fromStamp === 0) return undefined;
  const parts: string[] = [];
  if (fromSend > 0)
    parts.push(`${count(fromSend)} timed from the generator's own send of the enqueue (ws.delivery, µs clock)`);
  if (fromStamp > 0)
    parts.push(
      `${count(fromStamp)} from the gateway's enqueuedAt stamp (ws.delivery.enqueuedAt, 1 ms resolution: messages this generator did not send)`,
    );
  return `delivery latency: ${parts.join('; ')}`;
}

/** The latency histogram a scenario is judged by: its main metric (the series' one), else the first latency histogram. */
export function mainLatency(scenario: Pick<MergedScenario, 'histograms' | 'config'>): string | undefined {
  const configured = scenario.config?.mainMetric;
  if (typeof configured === 'string' && scenario.histograms[configured]?.unit === 'ms') return configured;
  return latencyHistogramNames(scenario).find((n) => !/\.(raw|startLag)$/.test(n));
}

/** "26.2 req/s · 76.1 MiB/s": every throughput rate with its unit, name order. */
export function throughputText(throughput: Record<string, number>): string {
  const entries = Object.entries(throughput).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${num(v)} ${rateUnit(k)}`).join(' · ');
}

/**
 * The run at a glance, right under the verdict: per scenario its result, checks, main
 * latency, throughput, error rate and memory verdict.
 */
export function overviewRows(report: Pick<RunReport, 'scenarios' | 'tests'>): string[][] {
  const rows = [['', 'scenario', 'checks', 'latency p50 / p99', 'throughput', 'error rate', 'memory']];
  for (const s of report.scenarios) {
    const failedChecks = s.thresholds.filter((t) => !t.passed).length;
    const failedTest = report.tests.some((t) => t.scenario === s.scenario && t.state === 'failed');
    const main = mainLatency(s);
    const h = main ? s.histograms[main]!.summary : undefined;
    const memory =
      [...new Set(s.sources.filter((x) => x.memory.source !== 'none').map((x) => memoryVerdictText(x.memory)))].join(
        ', ',
      ) || 'not measured';
    rows.push([
      failedChecks > 0 || failedTest ? '❌' : '✅',
      s.scenario,
      `${s.thresholds.length - failedChecks}/${s.thresholds.length} passed`,
      h ? `${main} ${num(h.p50)} / ${num(h.p99)} ms` : '—',
      throughputText(s.throughput),
      percent(errorRate(s)),
      memory,
    ]);
  }
  return rows;
}

/** "requests 1,012 · bytesSent 10,362,880" in name order, or "none". */
export function counterList(counters: Record<string, number>): string {
  const entries = Object.entries(counters).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k} ${count(v)}`).join(' · ');
}

/** figure | value: throughput, operations, error rate, statuses, errors, concurrency, ledger, generator. */
export function figureRows(scenario: MergedScenario): string[][] {
  const rows = [['figure', 'value']];
  for (const [k, v] of Object.entries(scenario.throughput).sort(([a], [b]) => a.localeCompare(b)))
    rows.push([k, `${num(v)} ${rateUnit(k)}`]);
  rows.push(['operations', count(operations(scenario))]);
  rows.push(['counters', counterList(scenario.counters)]);
  rows.push(['error rate', percent(errorRate(scenario))]);
  rows.push(['status codes', breakdown(scenario.statusCodes)]);
  rows.push(['errors', breakdown(scenario.errors)]);
  rows.push(['concurrency max / mean', `${num(scenario.concurrency.max)} / ${num(scenario.concurrency.mean)}`]);
  if (scenario.ledger) {
    const l = scenario.ledger;
    rows.push([
      'ledger',
      `${count(l.enqueued)} enqueued, ${count(l.deliveredUnique)} delivered, ${count(l.duplicates)} duplicates, ${count(l.lost)} lost`,
    ]);
    if (l.lostSample.length > 0) rows.push(['lost ids (sample)', l.lostSample.join(', ')]);
  }
  const g = scenario.generator;
  rows.push([
    'generator',
    `${g.saturated ? '⚠️ saturated — ' : ''}CPU max ${num(g.cpuPercentMax)}%, RSS max ${bytes(g.rssBytesMax)}, event-loop lag p99 ${num(g.eventLoopLagP99Ms)} ms${g.memory ? `, memory ${generatorMemoryText(g.memory)}` : ''}${g.memory?.composition ? ` (${compositionText(g.memory.composition)})` : ''}${g.saturated && g.reason ? ` (${g.reason})` : ''}`,
  ]);
  return rows;
}

/** ✅/❌ | check | measured | allowed | message [| source]. */
export function checkRows(scenario: MergedScenario): string[][] {
  const multi = scenario.sources.length > 1;
  const rows = [['', 'check', 'measured', 'allowed', 'details', ...(multi ? ['source'] : [])]];
  for (const t of scenario.thresholds) {
    // The message without the check's own name in front (the row already shows it).
    const details = t.message.startsWith(`${t.name}: `) ? t.message.slice(t.name.length + 2) : t.message;
    rows.push([
      t.passed ? '✅' : '❌',
      t.name,
      thresholdValue(t.measured, t.unit),
      thresholdValue(t.allowed, t.unit, t.comparator),
      details,
      ...(multi ? [t.source] : []),
    ]);
  }
  return rows;
}

export const BASELINE_ALIGN = ['l', 'l', 'l', 'r', 'r', 'r', 'r'] as const;

export function baselineRows(baseline: BaselineComparison): string[][] {
  const rows = [['', 'scenario', 'metric', 'baseline', 'current', 'delta', 'noise band']];
  for (const d of baseline.deltas) {
    const mark = d.regression ? '🔺 regression' : d.change === 'better' ? '✅ better' : '·';
    const ratio = d.unit === 'ratio';
    const value = (v: number) => thresholdValue(v, d.unit || undefined);
    rows.push([
      mark,
      d.scenario,
      d.metric,
      value(d.baseline),
      value(d.current),
      deltaText(d),
      `± ${ratio ? `${num(d.allowed * 100)} pp` : value(d.allowed)}`,
    ]);
  }
  return rows;
}

/**
 * Sentences about what a baseline comparison could not compare — scenarios missing from
 * the baseline, scenarios run with other knobs (named) — and about comparisons whose
 * bands were widened (a run that shared its machine).
 */
export function baselineNotes(baseline: BaselineComparison): string[] {
  const notes: string[] = [];
  if (baseline.missing.length > 0) notes.push(`Not in the baseline: ${baseline.missing.join(', ')}.`);
  for (const s of baseline.skipped ?? [])
    notes.push(`${s.scenario}${s.metric ? ` ${s.metric}` : ''} not compared: ${s.why}.`);
  for (const c of baseline.cautions ?? []) notes.push(`${c.scenario}: ${c.why}.`);
  return notes;
}

/** How the band of a compared figure is set, for the table's caption. */
export const BASELINE_RULE =
  "A change is flagged only beyond its band: max(z × both runs' noise — the histogram counts and the run's per-slice wobble —, a minimum effect).";
