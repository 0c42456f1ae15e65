// The reporters' own data model: what `collect` produces and every renderer reads.
// A `RunReport` is plain JSON so it can be written to results.json and read back as a
// baseline or merged with another run.

import type {
  GeneratorHealth,
  MemoryReport,
  ScenarioResult,
  ThresholdOutcome,
  TrendVerdictKind,
} from '../load/index.js';
import type { MetricDelta } from '../load/index.js';

export type { MetricDelta };

export const RESULTS_SCHEMA = 'conduit.results/1' as const;

/** One contributing ScenarioResult (a machine, a blob file, a test) of a merged scenario. */
export interface ScenarioSource {
  /** e.g. "test-load/uploads.load.ts > uploads #1" */
  label: string;
  startedAt: string;
  durationS: number;
  target: ScenarioResult['target'];
  memory: MemoryReport;
  generator: GeneratorHealth;
}

/** A threshold outcome together with the source it was measured on. */
export interface SourcedThreshold extends ThresholdOutcome {
  source: string;
}

/**
 * The merged view of every ScenarioResult that shares a `scenario` name. It keeps the
 * ScenarioResult shape (histograms re-encoded, counters summed, …) so a merged result
 * can be merged again, and adds what cannot be merged (memory, generator, thresholds per source).
 */
export interface MergedScenario extends Omit<ScenarioResult, 'thresholds'> {
  sources: ScenarioSource[];
  thresholds: SourcedThreshold[];
}

export type TestState = 'passed' | 'failed' | 'skipped' | 'pending';

/** One Vitest test case of the run (load scenarios and anything else in the run). */
export interface TestOutcome {
  module: string;
  name: string;
  state: TestState;
  /** Failure messages (first line of each error), empty when the test passed. */
  failures: string[];
  /** Scenario name when the test stored a ScenarioResult in `task.meta.conduit`. */
  scenario?: string;
}

export interface RunMeta {
  /** ISO time the report was produced. */
  generatedAt: string;
  gitSha?: string;
  nodeVersion: string;
  cores: number;
  platform: string;
  /** Vitest's run end reason, `merged` when produced by `--merge-reports`. */
  reason: string;
}

export interface CollectedRun {
  scenarios: MergedScenario[];
  tests: TestOutcome[];
  unhandledErrors: string[];
}

export interface BaselineComparison {
  /** The path (or label) the baseline was read from. */
  source: string;
  generatedAt?: string;
  gitSha?: string;
  deltas: MetricDelta[];
  /** Scenarios present now but not in the baseline. */
  missing: string[];
  /** Scenarios (or one figure of a scenario) present in both runs but not compared, and why. */
  skipped?: Array<{ scenario: string; metric?: string; why: string }>;
  /** Scenarios compared whose figures need care (a run shared its machine), and why. */
  cautions?: Array<{ scenario: string; why: string }>;
}

/** Everything the renderers need; produced by `buildRunReport`. */
export interface RunReport extends CollectedRun {
  meta: RunMeta;
  baseline?: BaselineComparison;
  /** Why a configured baseline could not be used (renderers show it). */
  baselineWarning?: string;
  verdict: RunVerdict;
}

export interface RunVerdict {
  passed: boolean;
  /** One line, e.g. "2 scenarios, 9/9 checks passed". */
  headline: string;
  failedTests: number;
  failedThresholds: number;
  regressions: number;
  memory: TrendVerdictKind | 'none';
}

/** The results.json document. */
export interface ResultsDocument {
  schema: typeof RESULTS_SCHEMA;
  meta: RunMeta;
  verdict: RunVerdict;
  scenarios: MergedScenario[];
  tests: TestOutcome[];
  unhandledErrors: string[];
  baseline?: BaselineComparison;
}
