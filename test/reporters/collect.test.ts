import { describe, expect, it } from 'vitest';
import { collectRun } from '../../reporters/collect.js';
import type { TestCaseView } from '../../reporters/collect.js';
import { buildRunReport } from '../../reporters/report.js';
import { scenarioResult } from './fixtures/results.js';
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
    expect(ok.verdict.headline).toBe('Load run passed: 1 scenario, 2/2 checks passed, memory stable');

    const failedCheck = buildRunReport(collectRun([testCase('uploads', { conduit: scenarioResult({ failing: true }) }, 'failed', [{ message: 'error rate 1.20% > 1.00%' }])]), FIXED_META);
    expect(failedCheck.verdict.passed).toBe(false);
    expect(failedCheck.verdict.headline).toContain('1 of 2 checks failed (error rate)');

    const none = buildRunReport(collectRun([testCase('x', {})]), FIXED_META);
    expect(none.verdict.passed).toBe(false);
    expect(none.verdict.headline).toContain('no scenario stored a result');
  });
});
