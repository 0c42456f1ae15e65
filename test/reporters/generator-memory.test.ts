// The generator's own memory in every report: a `generator memory growing` warning in
// the terminal, summary.md and report.html when it grows (none when it is stable or not
// measured, as in results from older harness versions), the generator's memory chart
// beside the target's in report.html, and results.json keeping it for baselines.
import { describe, expect, it } from 'vitest';
import { parseResultsDocument } from '../../src/reporters/baseline.js';
import { collectRun } from '../../src/reporters/collect.js';
import { buildRunReport } from '../../src/reporters/report.js';
import { compositionText, generatorMemoryText, generatorMemoryWarnings } from '../../src/reporters/render/generator.js';
import { renderHtmlReport } from '../../src/reporters/render/html.js';
import { renderResultsJson } from '../../src/reporters/render/json.js';
import { renderMarkdownSummary } from '../../src/reporters/render/markdown.js';
import { renderTerminalReport } from '../../src/reporters/render/terminal.js';
import type { MemoryReport, ScenarioResult } from '../../src/load/result.js';
import { FIXED_META } from './fixtures/meta.js';
import { memorySamples, scenarioResult } from './fixtures/results.js';

const MiB = 1024 * 1024;

function generatorMemory(growing: boolean): MemoryReport {
  return {
    source: 'proc',
    samples: memorySamples(60, growing ? 3 / 60 : 0),
    trends: [
      {
        metric: 'rss',
        verdict: growing ? 'growing' : 'stable',
        slopeMBPerMin: growing ? 3.1 : 0.01,
        projectedMBPerHour: growing ? 186 : 0.6,
        pValue: growing ? 0.0001 : 0.5,
        samples: 48,
        warmupS: 12,
        reason: growing ? 'rising 3.100 MiB/min' : 'no significant monotonic trend',
      },
    ],
    verdict: growing ? 'growing' : 'stable',
    rss: {
      minBytes: 141 * MiB,
      maxBytes: growing ? 323 * MiB : 142 * MiB,
      avgBytes: 200 * MiB,
      growthBytes: growing ? 182 * MiB : MiB,
    },
  };
}

function withGenerator(memory: MemoryReport | undefined, scenario = 'soak'): ScenarioResult {
  const result = scenarioResult({ scenario });
  if (memory) result.generator = { ...result.generator, memory };
  return result;
}

function report(...results: ScenarioResult[]) {
  const cases = results.map((result, i) => ({
    name: result.scenario,
    fullName: result.scenario,
    module: { moduleId: `test-load/${result.scenario}-${i}.load.ts` },
    meta: () => ({ conduit: result }),
    result: () => ({ state: 'passed', errors: [] }),
  }));
  return buildRunReport(collectRun(cases), FIXED_META);
}

describe('generator memory in the reports', () => {
  it('warns in the terminal, summary.md and report.html when the generator memory grows', () => {
    const r = report(withGenerator(generatorMemory(true)));
    const [warning] = generatorMemoryWarnings(r.scenarios[0]!);
    expect(warning).toMatchInlineSnapshot(
      `"generator memory growing: RSS +3.10 MiB/min (projected +186.0 MiB/h) · RSS 141 MiB–323 MiB — the load generator itself leaks; its figures are suspect"`,
    );
    expect(renderTerminalReport(r)).toContain(`  ⚠ ${warning}`);
    const md = renderMarkdownSummary(r);
    expect(md).toContain('⚠️ **generator memory growing**: RSS +3.10 MiB/min');
    expect(md).toMatch(
      /\| generator +\| CPU max 40%, RSS max 90 MiB, event-loop lag p99 3 ms, memory growing: RSS \+3\.10 MiB\/min \(projected \+186\.0 MiB\/h\) +\|/,
    );
    expect(md).toMatch(/\*\*soak — generator memory growing\.\*\*/);
    // The warning closes the scenario's memory section, after the target's memory.
    expect(
      md.slice(md.indexOf('### Memory'), md.indexOf('## Follow-ups')).trimEnd().split('\n').at(-1),
    ).toMatchInlineSnapshot(
      `"⚠️ **generator memory growing**: RSS +3.10 MiB/min (projected +186.0 MiB/h) · RSS 141 MiB–323 MiB — the load generator itself leaks; its figures are suspect"`,
    );
    const html = renderHtmlReport(r);
    expect(html).toContain('⚠️ generator memory growing: RSS +3.10 MiB/min');
    expect(html).toMatch(/aria-label="Target memory">.*<\/svg><svg [^>]*aria-label="Generator memory">/);
  });

  it('draws the generator chart but warns nowhere when its memory is stable', () => {
    const r = report(withGenerator(generatorMemory(false)));
    expect(generatorMemoryWarnings(r.scenarios[0]!)).toEqual([]);
    expect(generatorMemoryText(generatorMemory(false))).toBe('stable');
    expect(renderTerminalReport(r)).not.toContain('generator memory growing');
    expect(renderMarkdownSummary(r)).not.toContain('generator memory growing');
    const html = renderHtmlReport(r);
    expect(html).not.toContain('generator memory growing');
    expect(html).toContain('aria-label="Generator memory"');
  });

  it('renders results without generator memory (older results.json) as before, and keeps it in results.json', () => {
    const old = report(withGenerator(undefined));
    expect(renderHtmlReport(old)).not.toContain('Generator memory');
    expect(renderMarkdownSummary(old)).toMatch(
      /\| generator +\| CPU max 40%, RSS max 90 MiB, event-loop lag p99 3 ms +\|/,
    );
    const doc = parseResultsDocument(renderResultsJson(report(withGenerator(generatorMemory(true)))));
    expect(doc.scenarios[0]!.sources[0]!.generator.memory?.verdict).toBe('growing');
    expect(parseResultsDocument(renderResultsJson(old)).scenarios[0]!.generator.memory).toBeUndefined();
  });

  it('says what the generator’s RSS change is made of: in the warning and in the generator row', () => {
    const composition = {
      fromS: 300,
      toS: 3600,
      startRssBytes: 131 * MiB,
      rssBytes: Math.round(17.3 * MiB),
      heapTotalBytes: Math.round(1.4 * MiB),
      heapUsedBytes: Math.round(1.2 * MiB),
      externalBytes: 300 * 1024,
      arrayBuffersBytes: 200 * 1024,
      nativeBytes: Math.round(15.6 * MiB),
    };
    expect(compositionText(composition)).toMatchInlineSnapshot(
      `"RSS +17.3 MiB (+13.2 %) from 5.0 to 60.0 min: V8 heap +1.4 MiB (in use +1.2 MiB), external +300 KiB (ArrayBuffers +200 KiB), outside V8 +15.6 MiB"`,
    );
    const r = report(withGenerator({ ...generatorMemory(true), composition }));
    expect(generatorMemoryWarnings(r.scenarios[0]!)[0]).toContain(
      `· ${compositionText(composition)} — the load generator itself leaks`,
    );
    const md = renderMarkdownSummary(r);
    expect(md).toMatch(
      /\| generator +\| .*memory growing: RSS \+3\.10 MiB\/min \(projected \+186\.0 MiB\/h\) \(RSS \+17\.3 MiB \(\+13\.2 %\) from 5\.0 to 60\.0 min: .*outside V8 \+15\.6 MiB\)/,
    );
    // A stable generator still shows the composition in its row (a slow rise below the verdict's floor is visible there).
    const stable = renderMarkdownSummary(report(withGenerator({ ...generatorMemory(false), composition })));
    expect(stable).toContain('memory stable (RSS +17.3 MiB (+13.2 %)');
    expect(stable).not.toContain('generator memory growing');
  });

  it('names the source whose generator grew when a scenario is merged from several', () => {
    const r = report(withGenerator(generatorMemory(false)), withGenerator(generatorMemory(true)));
    const warnings = generatorMemoryWarnings(r.scenarios[0]!);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^generator memory growing \[test-load\/soak-1\.load\.ts > soak\]: RSS/);
    expect(renderHtmlReport(r).match(/aria-label="Generator memory — /g)).toHaveLength(2);
  });
});
