import { describe, expect, it } from 'vitest';
import { collectRun } from '../../src/reporters/collect.js';
import type { TestCaseView } from '../../src/reporters/collect.js';
import { buildRunReport } from '../../src/reporters/report.js';
import { failureMessage, scenarioResult } from './fixtures/results.js';
import { FIXED_META } from './fixtures/meta.js';

function testCase(name: string, meta: object, state = 'passed', errors: Array<{ message: string }> = []): TestCaseView {
  return {
    name,
    fullName: name,
    module: { moduleId: '/repo/test-load/uploads.load.ts' },
    meta: () => meta,
    result: () => ({ state, errors }),
  };
}

describe('collectRun', () => {
  it('gathers outcomes and scenario results, numbering repeated labels', () => {
    const run = collectRun(
      [
        testCase('uploads', { conduit: scenarioResult() }),
        testCase('uploads', { conduit: scenarioResult() }),
        testCase('not a scenario', {}),
        testCase('broken', { conduit: { schema: 'other/1' } }, 'failed', [{ message: 'expected p95 < 10 ms\n  at …' }]),
      ],
      [{ message: 'boom\nstack' }],
      { root: '/repo' },
    );
    expect(run.scenarios).toHaveLength(1);
    expect(run.scenarios[0]!.sources.map((s) => s.label)).toEqual([
      'test-load/uploads.load.ts > uploads',
      'test-load/uploads.load.ts > uploads #2',
    ]);
    expect(run.tests.map((t) => [t.name, t.state, t.scenario])).toEqual([
      ['uploads', 'passed', 'uploads'],
      ['uploads', 'passed', 'uploads'],
      ['not a scenario', 'passed', undefined],
      ['broken', 'failed', undefined],
    ]);
    expect(run.tests[3]!.failures).toEqual(['expected p95 < 10 ms']);
    expect(run.unhandledErrors).toEqual(['boom']);
  });

  it('fails the verdict when a test failed, a check failed, or no scenario reported', () => {
    const ok = buildRunReport(collectRun([testCase('uploads', { conduit: scenarioResult() })]), FIXED_META);
    expect(ok.verdict).toMatchObject({ passed: true, failedTests: 0, failedThresholds: 0, memory: 'stable' });
    expect(ok.verdict.headline).toBe(
      'Load run passed: 1 scenario, 2/2 checks passed, memory stable (no leak above 3.0 MiB/min)',
    );

    const failing = scenarioResult({ failing: true });
    const failedCheck = buildRunReport(
      collectRun([testCase('uploads', { conduit: failing }, 'failed', [{ message: failureMessage(failing) }])]),
      FIXED_META,
    );
    expect(failedCheck.verdict.passed).toBe(false);
    expect(failedCheck.verdict.headline).toContain('1 of 2 checks failed (error rate < 1%)');

    // The memory part never contradicts the checks: a growing verdict no check asserts says so.
    const growing = buildRunReport(
      collectRun([testCase('soak', { conduit: scenarioResult({ scenario: 'soak', growing: true }) })]),
      FIXED_META,
    );
    expect(growing.verdict.headline).toBe(
      'Load run passed: 1 scenario, 2/2 checks passed, memory growing (soak; no check asserts the trend)',
    );
    const asserted = scenarioResult({ scenario: 'soak', growing: true });
    asserted.thresholds.push({
      name: 'memory trend stable',
      measured: 'growing',
      allowed: 'stable|inconclusive',
      passed: false,
      message: 'memory trend stable: verdict growing',
    });
    const leak = buildRunReport(collectRun([testCase('soak', { conduit: asserted }, 'failed')]), FIXED_META);
    expect(leak.verdict.headline).toBe(
      'Load run failed: 1 scenario, 1 of 3 checks failed (memory trend stable), 1 test failed, memory growing (soak)',
    );
    const short = scenarioResult({ scenario: 'soak' });
    short.memory = {
      ...short.memory,
      verdict: 'inconclusive',
      trends: short.memory.trends.map((t) => ({
        ...t,
        verdict: 'inconclusive' as const,
        inconclusive: 'window' as const,
      })),
    };
    const smoke = buildRunReport(collectRun([testCase('soak', { conduit: short })]), FIXED_META);
    expect(smoke.verdict.headline).toBe(
      'Load run passed: 1 scenario, 2/2 checks passed, memory trend not judged (run too short for a trend verdict)',
    );

    const none = buildRunReport(collectRun([testCase('x', {})]), FIXED_META);
    expect(none.verdict.passed).toBe(false);
    expect(none.verdict.headline).toContain('no scenario stored a result');
  });
});
