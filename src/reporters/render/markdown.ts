// Markdown renderer (pure): reports/load/summary.md and the GitHub step summary.
// The overall verdict comes first so a reviewer sees it without scrolling.

import { markdownTable } from 'markdown-table';
import type { MergedScenario, RunReport } from '../model.js';
import { fittedTrend, memorySeries, memoryVerdictText, trendLabel } from '../metrics.js';
import { growthLines, heapSourceText, num, rssRange, signed, trendLine } from './format.js';
import { generatorMemoryWarnings } from './generator.js';
import { renderMemoryXyChart } from './mermaid.js';
import { recommendations } from './recommendations.js';
import {
  BASELINE_ALIGN,
  BASELINE_RULE,
  baselineNotes,
  baselineRows,
  checkRows,
  deliveryLatencyNote,
  figureRows,
  overviewRows,
  PERCENTILE_ALIGN,
  percentileRows,
} from './rows.js';

/** Pipes and newlines would break a table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(rows: string[][], align: string[]): string {
  return markdownTable(
    rows.map((r) => r.map(cell)),
    { align },
  );
}

export function renderMarkdownPercentiles(scenario: MergedScenario): string {
  return table(percentileRows(scenario), [...PERCENTILE_ALIGN]);
}

function memory(scenario: MergedScenario): string {
  const out: string[] = [];
  for (const source of scenario.sources) {
    const m = source.memory;
    const who = scenario.sources.length > 1 ? ` — ${source.label}` : '';
    if (m.source === 'none') {
      out.push(`Memory not measured${who}.`);
      continue;
    }
    const icon = m.verdict === 'stable' ? '✅' : m.verdict === 'growing' ? '❌' : '❔';
    const lead = fittedTrend(m.trends);
    out.push(`${icon} **${memoryVerdictText(m)}**${who} · ${rssRange(m)} · source ${m.source}`);
    out.push('');
    for (const t of m.trends) out.push(`- ${trendLine(t)}`);
    const heap = heapSourceText(m.heap);
    if (heap) out.push(`- ${heap}`);
    const [head, ...sites] = growthLines(m);
    if (head) out.push(`- **${head}**`, ...sites.map((s) => `  - \`${s}\``));
    const chart = renderMemoryXyChart(`${scenario.scenario} memory (MiB)`, m);
    if (chart) {
      const readings = memorySeries(m, 'postGcHeap').length;
      const names = [
        'RSS',
        ...(readings > 0
          ? [`post-GC heap (the latest reading at each sample; ${readings} reading${readings === 1 ? '' : 's'})`]
          : []),
        ...(lead?.line
          ? [
              `the fitted ${trendLabel(lead.metric)} trend (${signed(lead.slopeMBPerMin, lead.slopeMBPerMin.toFixed(2))} MiB/min${lead.warmupS > 0 ? `, after the ${num(lead.warmupS)} s warm-up` : ''})`,
            ]
          : []),
      ];
      out.push('', chart, '', `<sub>Lines, in order: ${names.join(', ')} — MiB over seconds since the start.</sub>`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

export function renderScenarioMarkdown(scenario: MergedScenario): string {
  const info =
    `${num(scenario.durationS)} s against \`${scenario.target.url}\`` +
    (scenario.sources.length > 1 ? ` · merged from ${scenario.sources.length} sources` : '');
  const delivery = deliveryLatencyNote(scenario);
  const parts = [
    `## ${scenario.scenario}`,
    '',
    `<sub>${info}</sub>`,
    '',
    '### Latency and sizes',
    '',
    renderMarkdownPercentiles(scenario),
  ];
  if (delivery) parts.push('', `<sub>${delivery.replace(/^d/, 'D')}.</sub>`);
  parts.push('', '### Throughput, errors, concurrency', '', table(figureRows(scenario), ['l', 'l']));
  if (scenario.thresholds.length > 0)
    parts.push('', '### Checks', '', table(checkRows(scenario), ['c', 'l', 'r', 'r', 'l', 'l']));
  parts.push('', '### Memory', '', memory(scenario));
  for (const warning of generatorMemoryWarnings(scenario)) parts.push('', `⚠️ **${warning.replace(/:/, '**:')}`);
  return parts.join('\n');
}

function baselineSection(report: RunReport): string | undefined {
  if (report.baselineWarning) return `## Baseline\n\n⚠️ Baseline not used: ${report.baselineWarning}`;
  const b = report.baseline;
  if (!b) return undefined;
  const head = `Against \`${b.source}\`${b.gitSha ? ` (git ${b.gitSha.slice(0, 12)})` : ''}${b.generatedAt ? `, ${b.generatedAt}` : ''}. ${BASELINE_RULE}`;
  const notes = baselineNotes(b).join(' ');
  if (b.deltas.length === 0) return `## Baseline\n\n⚠️ Against \`${b.source}\`: nothing compared. ${notes}`.trimEnd();
  return `## Baseline\n\n${head}\n\n${table(baselineRows(b), [...BASELINE_ALIGN])}${notes ? `\n\n⚠️ ${notes}` : ''}`;
}

export function renderMarkdownSummary(report: RunReport): string {
  const v = report.verdict;
  const m = report.meta;
  const parts = [
    `# ${v.passed ? '✅' : '❌'} ${v.headline}`,
    '',
    `<sub>${m.generatedAt}${m.gitSha ? ` · git ${m.gitSha.slice(0, 12)}` : ''} · Node ${m.nodeVersion} · ${m.cores} cores · ${m.platform}</sub>`,
  ];
  if (report.scenarios.length > 0) parts.push('', table(overviewRows(report), ['c', 'l', 'r', 'r', 'l', 'r', 'l']));
  for (const scenario of report.scenarios) parts.push('', renderScenarioMarkdown(scenario));
  const baseline = baselineSection(report);
  if (baseline) parts.push('', baseline);
  const failed = report.tests.filter((t) => t.state === 'failed');
  if (failed.length > 0 || report.unhandledErrors.length > 0) {
    parts.push('', '## Failures', '');
    for (const t of failed) parts.push(`- \`${t.module}\` › ${t.name}: ${t.failures.join(' / ') || 'failed'}`);
    for (const e of report.unhandledErrors) parts.push(`- unhandled: ${e}`);
  }
  const follow = recommendations(report);
  if (follow.length > 0) parts.push('', '## Follow-ups', '', ...follow.map((r) => `- ${r}`));
  return `${parts.join('\n')}\n`;
}
