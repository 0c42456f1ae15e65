// HTML renderer (pure): reports/load/report.html, ONE self-contained file — inline CSS,
// inline SVG charts, no script and no network, so it opens offline and as a CI artifact.

import type { IntervalPoint, MemoryReport } from '../../load/index.js';
import type { MergedScenario, RunReport } from '../model.js';
import { fittedTrend, memoryVerdictText, trendLabel } from '../metrics.js';
import { growthLines, heapSourceText, mib, num, rssRange, trendLine } from './format.js';
import { generatorMemoryWarnings } from './generator.js';
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
import { escapeXml as esc, renderLineChart } from './svg.js';
import type { ChartSeries } from './svg.js';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid #d0d7de;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.pass{color:#1a7f37}.fail{color:#cf222e}.meta{color:#59636e;font-size:12px}
table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left}th{background:#f6f8fa}td.r,th.r{text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:12px}svg{background:#fff;border:1px solid #d0d7de;border-radius:6px;max-width:100%;height:auto}
svg .t{font:600 13px system-ui,sans-serif;fill:#1f2328}svg .a{font:11px system-ui,sans-serif;fill:#59636e}svg .g{stroke:#eaeef2;stroke-width:1}
ul.trend{margin:4px 0 8px;padding-left:20px;color:#59636e}
`;

function htmlTable(rows: readonly (readonly string[])[], align: ReadonlyArray<string> = []): string {
  const [head, ...body] = rows;
  const cls = (i: number) => (align[i] === 'r' ? ' class="r"' : '');
  const th = (head ?? []).map((c, i) => `<th${cls(i)}>${esc(c)}</th>`).join('');
  const trs = body.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${trs}</tbody></table>`;
}

/** Requests per second of each interval (interval length from consecutive `t`). */
function ratePoints(series: readonly IntervalPoint[]): Array<[number, number]> {
  return series.map((p, i) => {
    const dt = p.t - (i === 0 ? 0 : series[i - 1]!.t);
    return [p.t, dt > 0 ? p.requests / dt : 0];
  });
}

/** The fitted trend line of the leading trend (verdict/trend.ts records it), labelled with its slope and verdict. */
export function trendLinePoints(memory: MemoryReport): { name: string; points: Array<[number, number]> } | undefined {
  const trend = fittedTrend(memory.trends);
  if (!trend?.line) return undefined;
  const { fromS, toS, fromMB, toMB } = trend.line;
  const judged = trend.verdict === 'inconclusive' ? 'not judged' : trend.verdict;
  return {
    name: `${trendLabel(trend.metric)} trend ${trend.slopeMBPerMin > 0 ? '+' : ''}${trend.slopeMBPerMin.toFixed(2)} MiB/min (${judged})`,
    points: [
      [fromS, fromMB],
      [toS, toMB],
    ],
  };
}

function memoryChart(title: string, memory: MemoryReport): string {
  const series: ChartSeries[] = [
    { name: 'RSS', color: '#0969da', points: memory.samples.map((s) => [s.t, mib(s.rssBytes)] as [number, number]) },
  ];
  const heap = memory.samples.filter((s) => typeof s.postGcHeapBytes === 'number');
  if (heap.length > 0)
    series.push({
      name: 'post-GC heap',
      color: '#8250df',
      points: heap.map((s) => [s.t, mib(s.postGcHeapBytes!)] as [number, number]),
    });
  const trend = trendLinePoints(memory);
  if (trend) series.push({ name: trend.name, color: '#cf222e', points: trend.points, dashed: true });
  return renderLineChart({ title, xLabel: 'seconds', yLabel: 'MiB', series });
}

/** The generator's own memory chart, beside the target's (when the result has it). */
function generatorChart(memory: MemoryReport | undefined, label?: string): string {
  return memory && memory.samples.length > 0
    ? memoryChart(`Generator memory${label ? ` — ${label}` : ''}`, memory)
    : '';
}

function scenarioSection(scenario: MergedScenario): string {
  const merged = scenario.sources.length > 1;
  const charts = [
    renderLineChart({
      title: `Latency per interval${merged ? ' (worst source)' : ''}`,
      xLabel: 'seconds',
      yLabel: 'ms',
      series: [
        { name: 'p50', color: '#0969da', points: scenario.series.map((p) => [p.t, p.p50] as [number, number]) },
        { name: 'p99', color: '#cf222e', points: scenario.series.map((p) => [p.t, p.p99] as [number, number]) },
      ],
    }),
    renderLineChart({
      title: 'Throughput',
      xLabel: 'seconds',
      yLabel: 'operations/s',
      series: [
        { name: 'operations/s', color: '#1a7f37', points: ratePoints(scenario.series) },
        {
          name: 'in flight',
          color: '#9a6700',
          points: scenario.series.map((p) => [p.t, p.inflight] as [number, number]),
        },
      ],
    }),
  ];
  const memory = scenario.sources.map((source) => {
    if (source.memory.source === 'none') return `<p>Memory not measured${merged ? ` (${esc(source.label)})` : ''}.</p>`;
    const heap = heapSourceText(source.memory.heap);
    const [head, ...sites] = growthLines(source.memory);
    const grows = head
      ? `<li><strong>${esc(head)}</strong><ul>${sites.map((s) => `<li><code>${esc(s)}</code></li>`).join('')}</ul></li>`
      : '';
    const trends =
      [...source.memory.trends.map(trendLine), ...(heap ? [heap] : [])].map((t) => `<li>${esc(t)}</li>`).join('') +
      grows;
    const cls = source.memory.verdict === 'growing' ? 'fail' : source.memory.verdict === 'stable' ? 'pass' : '';
    return (
      `<p><strong class="${cls}">Memory ${esc(memoryVerdictText(source.memory))}</strong>${merged ? ` — ${esc(source.label)}` : ''} · ${esc(rssRange(source.memory))} · source ${esc(source.memory.source)}</p><ul class="trend">${trends}</ul>` +
      `<div class="charts">${memoryChart(`Target memory${merged ? ` — ${source.label}` : ''}`, source.memory)}${generatorChart(source.generator.memory, merged ? source.label : undefined)}</div>`
    );
  });
  const warnings = generatorMemoryWarnings(scenario).map((w) => `<p><strong class="fail">⚠️ ${esc(w)}</strong></p>`);
  const checks = scenario.thresholds.length > 0 ? `<h3>Checks</h3>${htmlTable(checkRows(scenario))}` : '';
  return (
    `<section><h2>${esc(scenario.scenario)}</h2>` +
    `<p class="meta">${esc(`${num(scenario.durationS)} s against ${scenario.target.url}${merged ? ` · merged from ${scenario.sources.length} sources` : ''}`)}</p>` +
    `<div class="charts">${charts.join('')}</div>` +
    `<h3>Latency and sizes</h3>${htmlTable(percentileRows(scenario), PERCENTILE_ALIGN)}` +
    (deliveryLatencyNote(scenario) ? `<p class="meta">${esc(deliveryLatencyNote(scenario)!)}</p>` : '') +
    `<h3>Throughput, errors, concurrency</h3>${htmlTable(figureRows(scenario))}${checks}` +
    `<h3>Memory</h3>${memory.join('')}${warnings.join('')}</section>`
  );
}

export function renderHtmlReport(report: RunReport): string {
  const v = report.verdict;
  const m = report.meta;
  const meta = `${m.generatedAt}${m.gitSha ? ` · git ${m.gitSha.slice(0, 12)}` : ''} · Node ${m.nodeVersion} · ${m.cores} cores · ${m.platform}`;
  const parts = [
    `<h1 class="${v.passed ? 'pass' : 'fail'}">${v.passed ? '✅' : '❌'} ${esc(v.headline)}</h1>`,
    `<p class="meta">${esc(meta)}</p>`,
    ...(report.scenarios.length > 0 ? [htmlTable(overviewRows(report), ['l', 'l', 'r', 'r', 'l', 'r', 'l'])] : []),
    ...report.scenarios.map(scenarioSection),
  ];
  if (report.baselineWarning) parts.push(`<h2>Baseline</h2><p>⚠️ Baseline not used: ${esc(report.baselineWarning)}</p>`);
  else if (report.baseline) {
    const notes = baselineNotes(report.baseline)
      .map((n) => `<p>⚠️ ${esc(n)}</p>`)
      .join('');
    const table =
      report.baseline.deltas.length > 0
        ? htmlTable(baselineRows(report.baseline), [...BASELINE_ALIGN])
        : '<p>Nothing compared.</p>';
    parts.push(
      `<h2>Baseline</h2><p class="meta">Against ${esc(report.baseline.source)}. ${esc(BASELINE_RULE)}</p>${table}${notes}`,
    );
  }
  const failed = report.tests.filter((t) => t.state === 'failed');
  if (failed.length > 0 || report.unhandledErrors.length > 0) {
    const items = [
      ...failed.map((t) => `${t.module} › ${t.name}: ${t.failures.join(' / ') || 'failed'}`),
      ...report.unhandledErrors.map((e) => `unhandled: ${e}`),
    ];
    parts.push(`<h2>Failures</h2><ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`);
  }
  const follow = recommendations(report);
  // Recommendations use **bold** markdown; render it as <strong> after escaping.
  if (follow.length > 0)
    parts.push(
      `<h2>Follow-ups</h2><ul>${follow.map((r) => `<li>${esc(r).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')}</li>`).join('')}</ul>`,
    );
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>Conduit load report — ${v.passed ? 'passed' : 'failed'}</title><style>${CSS}</style></head>\n<body>\n${parts.join('\n')}\n</body></html>\n`
  );
}
