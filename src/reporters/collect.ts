// collect (pure): turns the test cases Vitest reports into a CollectedRun: every test's
// outcome, and every ScenarioResult found in `task.meta.conduit`, merged by scenario name.
// It reads structural views of Vitest's reported tasks so it can be unit-tested with plain
// objects and stays independent of Vitest internals.

import { META_KEY, RESULT_SCHEMA } from '../load/index.js';
import type { ScenarioResult } from '../load/index.js';
import { mergeByScenario } from './merge.js';
import type { LabelledResult } from './merge.js';
import type { CollectedRun, TestOutcome, TestState } from './model.js';

/** The parts of Vitest's `TestCase` that collect reads. */
export interface TestCaseView {
  readonly name: string;
  readonly fullName: string;
  readonly module: { readonly moduleId: string; readonly relativeModuleId?: string };
  meta(): object;
  result(): { readonly state: string; readonly errors?: ReadonlyArray<{ message?: string; name?: string }> };
}

export interface CollectOptions {
  /** Project root, to print module ids relative to it. */
  root?: string;
}

function relative(moduleId: string, root: string | undefined): string {
  if (root && moduleId.startsWith(root)) return moduleId.slice(root.length).replace(/^[/\\]+/, '');
  return moduleId;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}

/** True when `value` looks like a ScenarioResult (schema and the fields renderers need). */
export function isScenarioResult(value: unknown): value is ScenarioResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<ScenarioResult>;
  return (
    v.schema === RESULT_SCHEMA &&
    typeof v.scenario === 'string' &&
    typeof v.histograms === 'object' &&
    Array.isArray(v.thresholds) &&
    typeof v.memory === 'object'
  );
}

function stateOf(raw: string): TestState {
  return raw === 'passed' || raw === 'failed' || raw === 'skipped' ? raw : 'pending';
}

export function collectRun(
  testCases: Iterable<TestCaseView>,
  unhandledErrors: ReadonlyArray<{ message?: string; name?: string } | unknown> = [],
  options: CollectOptions = {},
): CollectedRun {
  const tests: TestOutcome[] = [];
  const results: LabelledResult[] = [];
  const labels = new Map<string, number>();

  for (const testCase of testCases) {
    const module = testCase.module.relativeModuleId ?? relative(testCase.module.moduleId, options.root);
    const result = testCase.result();
    const meta = (testCase.meta() as Record<string, unknown>)[META_KEY];
    const outcome: TestOutcome = {
      module,
      name: testCase.fullName,
      state: stateOf(result.state),
      failures: (result.errors ?? []).map((e) => firstLine(e.message ?? e.name ?? 'unknown error')),
    };
    if (isScenarioResult(meta)) {
      outcome.scenario = meta.scenario;
      // The same file from several machines gives the same label: number the repeats.
      const base = `${module} > ${testCase.fullName}`;
      const seen = (labels.get(base) ?? 0) + 1;
      labels.set(base, seen);
      results.push({ label: seen === 1 ? base : `${base} #${seen}`, result: meta });
    }
    tests.push(outcome);
  }

  return {
    scenarios: mergeByScenario(results),
    tests,
    unhandledErrors: unhandledErrors.map((e) => {
      const err = e as { message?: string; name?: string } | null;
      return firstLine(err?.message ?? err?.name ?? String(e));
    }),
  };
}
