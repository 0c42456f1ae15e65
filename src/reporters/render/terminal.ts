// Terminal renderer (pure): one block per scenario and the run verdict, as plain text.

import type { MergedScenario, RunReport } from '../model.js';
import { errorRate, memoryVerdictText, operations } from '../metrics.js';
import {
  breakdown,
  columns,
  count,
  num,
  percent,
  relativeChange,
  growthLines,
  heapSourceText,
  rssRange,
  thresholdValue,
  trendLine,
  verdictMark,
} from './format.js';
import {
  baselineNotes,
  counterList,
  deliveryLatencyNote,
  PERCENTILE_ALIGN,
  percentileRows,
  throughputText,
} from './rows.js';
import { generatorMemoryWarnings } from './generator.js';

export function renderPercentileTable(scenario: Pick<MergedScenario, 'histograms'>): string {
  return columns(percentileRows(scenario), PERCENTILE_ALIGN);
}

function throughputLine(scenario: MergedScenario): string {
  return throughputText(scenario.throughput);
}

function memoryLines(scenario: MergedScenario): string[] {
  const lines: string[] = [];
  for (const source of scenario.sources) {
    const prefix = scenario.sources.length > 1 ? `[${source.label}] ` : '';
    const m = source.memory;
    if (m.source === 'none') {
      lines.push(`  memory: ${prefix}not measured`);
      continue;
    }
    lines.push(`  memory: ${prefix}${verdictMark(m.verdict)} ${memoryVerdictText(m)} (${m.source}; ${rssRange(m)})`);
    for (const trend of m.trends) lines.push(`    ${trendLine(trend)}`);
    const heap = heapSourceText(m.heap);
    if (heap) lines.push(`    ${heap}`);
    const [head, ...sites] = growthLines(m);
    if (head) lines.push(`    ${head}`, ...sites.map((s) => `      ${s}`));
  }
  return lines;
}

export function renderScenario(scenario: MergedScenario): string {
  const head =
    `▶ ${scenario.scenario} — ${num(scenario.durationS)} s against ${scenario.target.url}` +
    (scenario.sources.length > 1 ? ` (merged from ${scenario.sources.length} sources)` : '');
  const ops = operations(scenario);
  const lines = [
    head,
    renderPercentileTable(scenario),
    ...[deliveryLatencyNote(scenario)].filter((x) => x !== undefined).map((x) => `  ${x}`),
    `  throughput: ${throughputLine(scenario)}`,
    `  operations: ${count(ops)} · error rate ${percent(errorRate(scenario))}`,
    `  counters: ${counterList(scenario.counters)}`,
    `  status: ${breakdown(scenario.statusCodes)}`,
    `  errors: ${breakdown(scenario.errors)}`,
    `  concurrency: max ${num(scenario.concurrency.max)} · mean ${num(scenario.concurrency.mean)}`,
  ];
  if (scenario.ledger) {
    const l = scenario.ledger;
    lines.push(
      `  ledger: ${count(l.enqueued)} enqueued · ${count(l.deliveredUnique)} delivered · ${count(l.duplicates)} duplicates · ${count(l.lost)} lost`,
    );
  }
  lines.push(...memoryLines(scenario));
  lines.push(...generatorMemoryWarnings(scenario).map((w) => `  ⚠ ${w}`));
  if (scenario.generator.saturated) {
    lines.push(
      `  ⚠ load generator saturated (figures are suspect): ${scenario.generator.reason ?? `CPU max ${num(scenario.generator.cpuPercentMax)}%, event-loop lag p99 ${num(scenario.generator.eventLoopLagP99Ms)} ms`}`,
    );
  }
  if (scenario.thresholds.length > 0) {
    lines.push('  checks:');
    for (const t of scenario.thresholds) {
      const where = scenario.sources.length > 1 ? ` [${t.source}]` : '';
      lines.push(
        `    ${t.passed ? '✓' : '✗'} ${t.name}: ${thresholdValue(t.measured, t.unit)} (allowed ${thresholdValue(t.allowed, t.unit, t.comparator)})${where}${t.passed ? '' : ` — ${t.message}`}`,
      );
    }
  }
  return lines.join('\n');
}

export function renderTerminalReport(report: RunReport): string {
  const blocks = report.scenarios.map(renderScenario);
  if (report.baseline) {
    const flagged = report.baseline.deltas.filter((d) => d.change !== 'same');
    const lines = [`▶ baseline ${report.baseline.source}: ${report.verdict.regressions} regression(s) beyond noise`];
    for (const d of flagged) {
      lines.push(
        `    ${d.regression ? '✗' : '✓'} ${d.scenario} ${d.metric}: ${thresholdValue(d.baseline, d.unit || undefined)} → ${thresholdValue(d.current, d.unit || undefined)} (${relativeChange(d)}, band ± ${d.unit === 'ratio' ? `${num(d.allowed * 100)} pp` : thresholdValue(d.allowed, d.unit || undefined)})`,
      );
    }
    for (const note of baselineNotes(report.baseline)) lines.push(`    ⚠ ${note}`);
    blocks.push(lines.join('\n'));
  }
  if (report.baselineWarning) blocks.push(`⚠ baseline not used: ${report.baselineWarning}`);
  blocks.push(`${report.verdict.passed ? '✅' : '❌'} ${report.verdict.headline}`);
  return `\n${blocks.join('\n\n')}\n`;
}

/** A live progress line for a scenario test (from a 'progress' annotation). */
export function renderProgressLine(testName: string, message: string): string {
  return `  ⏳ ${testName}: ${message}`;
}
