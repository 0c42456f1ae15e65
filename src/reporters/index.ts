// Public entry of the Conduit reporters: the Vitest reporter, its pure pipeline stages
// (collect → render → write) and the results.json model, for configs, scripts and tests.

// --- The Vitest reporter -------------------------------------------------------------
// The default export makes `<pkg>/reporter` usable by name in a config's `reporters`
// (tuple form for options: `['conduit/reporter', { outDir }]`).
export {
  ConduitLoadReporter,
  ConduitLoadReporter as default,
  DEFAULT_REPORTER_OPTIONS,
} from './ConduitLoadReporter.js';
export type { ConduitLoadReporterOptions, ReportFiles } from './ConduitLoadReporter.js';

// --- collect: test cases → merged scenarios ---------------------------------------------
export { collectRun, isScenarioResult } from './collect.js';
export type { CollectOptions, TestCaseView } from './collect.js';
export { mergeByScenario, mergeScenario, mergeSeries, toMergedScenario } from './merge.js';
export type { LabelledResult } from './merge.js';
export { buildRunReport, decideVerdict } from './report.js';
export type { VerdictOptions } from './report.js';
export { errorRate, operations, totalErrors } from './metrics.js';

// --- baseline -------------------------------------------------------------------------
export { compareWithBaseline, DEFAULT_NOISE, parseResultsDocument, resolveNoise } from './baseline.js';
export type { NoiseBand, NoiseOptions, NoiseOverrides } from './baseline.js';

// --- render (pure strings) ------------------------------------------------------------
export { renderPercentileTable, renderProgressLine, renderScenario, renderTerminalReport } from './render/terminal.js';
export { renderMarkdownSummary } from './render/markdown.js';
export { renderMemoryXyChart } from './render/mermaid.js';
export { renderResultsJson, toResultsDocument } from './render/json.js';
export { renderHtmlReport } from './render/html.js';
export { renderLineChart } from './render/svg.js';

// --- write ----------------------------------------------------------------------------
export { appendToFile, writeReportFile } from './write.js';
export { currentRunMeta } from './run-meta.js';

// --- model ----------------------------------------------------------------------------
export { RESULTS_SCHEMA } from './model.js';
export type {
  BaselineComparison,
  CollectedRun,
  MergedScenario,
  MetricDelta,
  ResultsDocument,
  RunMeta,
  RunReport,
  RunVerdict,
  ScenarioSource,
  SourcedThreshold,
  TestOutcome,
  TestState,
} from './model.js';
