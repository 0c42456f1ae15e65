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
import { analyzeMemory } from '../../src/load/memory/report.js';

const MiB = 1024 * 1024;

/** The scenario's length: long enough for a generator's RSS trend to be judged. */
const DURATION_S = 600;

/** RSS +3 MiB/min (post-GC heap +1.5): a leak; +0.4 MiB/min: a rise below the verdict's floors. */
const GROWING = 3 / 60;
const SLOW = 0.4 / 60;

/** The generator's memory over the scenario (RSS rising `slopeMiBPerS`), judged by analyzeMemory. */
function generatorMemory(growing: boolean, slopeMiBPerS = growing ? GROWING : 0): MemoryReport {
  return analyzeMemory(
    memorySamples(DURATION_S + 1, slopeMiBPerS),
    'proc',
    {},
    { untilS: DURATION_S, subject: 'generator' },
  );
}

/** What the samples' RSS rise from 60 s to the end is made of: half V8 heap (as their post-GC heap says), half outside V8. */
function compositionOf(slopeMiBPerS: number) {
  const fromS = 60;
  const rise = Math.round((DURATION_S - fromS) * slopeMiBPerS * MiB);
  const heap = Math.round(rise / 2);
  return {
    fromS,
    toS: DURATION_S,
    startRssBytes: Math.round(120 * MiB + fromS * slopeMiBPerS * MiB),
    rssBytes: rise,
    heapTotalBytes: heap,
    heapUsedBytes: heap,
    externalBytes: 0,
    arrayBuffersBytes: 0,
    nativeBytes: rise - heap,
  };
}

function withGenerator(memory: MemoryReport | undefined, scenario = 'soak'): ScenarioResult {
  const result = scenarioResult({ scenario, durationS: DURATION_S });
  // The generator's health reads the same samples: its RSS maximum is theirs.
  if (memory) result.generator = { ...result.generator, rssBytesMax: memory.rss?.maxBytes ?? 0, memory };
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
      `"generator memory growing: post-GC heap +1.50 MiB/min (projected +90.0 MiB/h), RSS +3.00 MiB/min (projected +180.0 MiB/h) · RSS 120 MiB–150 MiB — the load generator itself leaks; its figures are suspect"`,
    );
    expect(renderTerminalReport(r)).toContain(`  ⚠ ${warning}`);
    const md = renderMarkdownSummary(r);
    expect(md).toContain('⚠️ **generator memory growing**: post-GC heap +1.50 MiB/min');
    expect(md).toMatch(
      /\| generator +\| CPU max 40%, RSS max 150 MiB, event-loop lag p99 3 ms, memory growing: post-GC heap \+1\.50 MiB\/min \(projected \+90\.0 MiB\/h\), RSS \+3\.00 MiB\/min \(projected \+180\.0 MiB\/h\) +\|/,
    );
    expect(md).toMatch(/\*\*soak — generator memory growing\.\*\*/);
    // The warning closes the scenario's memory section, after the target's memory.
    expect(
      md.slice(md.indexOf('### Memory'), md.indexOf('## Follow-ups')).trimEnd().split('\n').at(-1),
    ).toMatchInlineSnapshot(
      `"⚠️ **generator memory growing**: post-GC heap +1.50 MiB/min (projected +90.0 MiB/h), RSS +3.00 MiB/min (projected +180.0 MiB/h) · RSS 120 MiB–150 MiB — the load generator itself leaks; its figures are suspect"`,
    );
    const html = renderHtmlReport(r);
    expect(html).toContain('⚠️ generator memory growing: post-GC heap +1.50 MiB/min');
    expect(html).toMatch(/aria-label="Target memory">.*<\/svg><svg [^>]*aria-label="Generator memory">/);
  });

  it('draws the generator chart but warns nowhere when its memory is stable', () => {
    const r = report(withGenerator(generatorMemory(false)));
    expect(generatorMemoryWarnings(r.scenarios[0]!)).toEqual([]);
    expect(generatorMemoryText(generatorMemory(false))).toBe('stable (no leak above 0.30 MiB/min on post-GC heap)');
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
    const composition = compositionOf(GROWING);
    expect(compositionText(composition)).toMatchInlineSnapshot(
      `"RSS +27 MiB (+22.0 %) from 1.0 to 10.0 min: V8 heap +13.5 MiB (in use +13.5 MiB), external 0 B (ArrayBuffers 0 B), outside V8 +13.5 MiB"`,
    );
    const r = report(withGenerator({ ...generatorMemory(true), composition }));
    expect(generatorMemoryWarnings(r.scenarios[0]!)[0]).toContain(
      `· ${compositionText(composition)} — the load generator itself leaks`,
    );
    const md = renderMarkdownSummary(r);
    expect(md).toMatch(
      /\| generator +\| .*memory growing: post-GC heap .*, RSS \+3\.00 MiB\/min \(projected \+180\.0 MiB\/h\) \(RSS \+27 MiB \(\+22\.0 %\) from 1\.0 to 10\.0 min: .*outside V8 \+13\.5 MiB\)/,
    );
    // A stable generator still shows the composition in its row (a slow rise below the verdict's floor is visible there).
    const slow = compositionOf(SLOW);
    const stable = renderMarkdownSummary(report(withGenerator({ ...generatorMemory(false, SLOW), composition: slow })));
    expect(stable).toContain(
      'memory stable (no leak above 0.30 MiB/min on post-GC heap) (RSS +3.6 MiB (+3.0 %) from 1.0 to 10.0 min',
    );
    expect(stable).not.toContain('generator memory growing');
  });

  it('names the source whose generator grew when a scenario is merged from several', () => {
    const r = report(withGenerator(generatorMemory(false)), withGenerator(generatorMemory(true)));
    const warnings = generatorMemoryWarnings(r.scenarios[0]!);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^generator memory growing \[test-load\/soak-1\.load\.ts > soak\]: post-GC heap/);
    expect(renderHtmlReport(r).match(/aria-label="Generator memory — /g)).toHaveLength(2);
  });
});
