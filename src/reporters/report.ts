// Builds the RunReport every renderer reads: the collected run, run metadata, the
// baseline comparison and the overall verdict. Pure: metadata and the baseline are inputs.

import type { TrendVerdictKind } from '../load/index.js';
import { combineVerdicts, formatSlope, inconclusiveWhy, stableBound } from './metrics.js';
import type { BaselineComparison, CollectedRun, RunMeta, RunReport, RunVerdict } from './model.js';

export interface VerdictOptions {
  /** Count regressions beyond noise as a failure of the run. @default false */
  failOnRegression?: boolean;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function memoryVerdictOf(run: CollectedRun): TrendVerdictKind | 'none' {
  const measured = run.scenarios.flatMap((s) => s.sources).filter((s) => s.memory.source !== 'none');
  if (measured.length === 0) return 'none';
  return combineVerdicts(measured.map((s) => s.memory.verdict));
}

const MEMORY_CHECK = /memory|heap|rss/i;

/**
 * The memory part of the headline, never contradicting the checks: "memory stable";
 * "memory trend not judged (run too short for a trend verdict)" for runs below the
 * minimum window; "memory growing" when a memory check failed, and "memory growing
 * (no check asserts it)" when the verdict grows but no scenario made it a pass criterion.
 */
function memoryPhrase(run: CollectedRun, memory: TrendVerdictKind, failed: readonly { name: string }[]): string {
  const measured = run.scenarios
    .flatMap((s) => s.sources)
    .map((s) => s.memory)
    .filter((m) => m.source !== 'none');
  if (memory === 'inconclusive') {
    const why = new Set(measured.filter((m) => m.verdict === 'inconclusive').map((m) => inconclusiveWhy(m)));
    return `memory trend not judged (${[...why].join('; ')})`;
  }
  if (memory === 'stable') {
    const notJudged = measured.filter((m) => m.verdict === 'inconclusive').length;
    const bound = stableBound(measured);
    const notes = [
      bound ? `no leak above ${formatSlope(bound)}` : '',
      notJudged > 0 ? `${notJudged} of ${measured.length} not judged` : '',
    ].filter(Boolean);
    return notes.length === 0 ? 'memory stable' : `memory stable (${notes.join('; ')})`;
  }
  const growing = run.scenarios
    .filter((s) => s.sources.some((src) => src.memory.verdict === 'growing'))
    .map((s) => s.scenario);
  const asserted = failed.some((t) => MEMORY_CHECK.test(t.name));
  return `memory growing (${growing.join(', ')}${asserted ? '' : '; no check asserts the trend'})`;
}

export function decideVerdict(
  run: CollectedRun,
  baseline: BaselineComparison | undefined,
  options: VerdictOptions = {},
): RunVerdict {
  const failedTests = run.tests.filter((t) => t.state === 'failed').length;
  const thresholds = run.scenarios.flatMap((s) => s.thresholds);
  const failed = thresholds.filter((t) => !t.passed);
  const regressions = baseline?.deltas.filter((d) => d.regression).length ?? 0;
  const memory = memoryVerdictOf(run);
  const noResults = run.scenarios.length === 0;
  const passed =
    !noResults &&
    failedTests === 0 &&
    failed.length === 0 &&
    run.unhandledErrors.length === 0 &&
    !(options.failOnRegression && regressions > 0);

  const parts: string[] = [];
  if (noResults) parts.push('no scenario stored a result in task.meta.conduit');
  else parts.push(plural(run.scenarios.length, 'scenario'));
  if (thresholds.length > 0) {
    parts.push(
      failed.length === 0
        ? `${thresholds.length}/${thresholds.length} checks passed`
        : `${failed.length} of ${plural(thresholds.length, 'check')} failed (${[...new Set(failed.map((t) => t.name))].join(', ')})`,
    );
  }
  if (failedTests > 0) parts.push(`${plural(failedTests, 'test')} failed`);
  if (run.unhandledErrors.length > 0) parts.push(plural(run.unhandledErrors.length, 'unhandled error'));
  if (memory !== 'none') parts.push(memoryPhrase(run, memory, failed));
  if (baseline) {
    parts.push(
      baseline.deltas.length === 0
        ? `baseline not compared (${
            baseline.skipped?.some((s) => !s.metric)
              ? `other knobs in ${baseline.skipped
                  .filter((s) => !s.metric)
                  .map((s) => s.scenario)
                  .join(', ')}`
              : 'it has none of these scenarios'
          })`
        : regressions === 0
          ? 'no regression vs baseline'
          : `${plural(regressions, 'regression')} vs baseline`,
    );
  }

  return {
    passed,
    headline: `${passed ? 'Load run passed' : 'Load run failed'}: ${parts.join(', ')}`,
    failedTests,
    failedThresholds: failed.length,
    regressions,
    memory,
  };
}

export function buildRunReport(
  run: CollectedRun,
  meta: RunMeta,
  baseline: { comparison?: BaselineComparison; warning?: string } = {},
  options: VerdictOptions = {},
): RunReport {
  return {
    ...run,
    meta,
    ...(baseline.comparison ? { baseline: baseline.comparison } : {}),
    ...(baseline.warning ? { baselineWarning: baseline.warning } : {}),
    verdict: decideVerdict(run, baseline.comparison, options),
  };
}
