// The Conduit load reporter: one Vitest reporter (implementing `Reporter` directly) that
// runs the pipeline collect → render → write at the end of a run or a `--merge-reports`.
//
// Why results are collected in `onTestCaseResult` and not only from `onTestRunEnd`'s
// modules: when `--merge-reports` replays blob files of the SAME scenario file from
// several machines, Vitest keeps one module per file path in its state, so `onTestRunEnd`
// sees only the last machine's module (twice). Every machine's test case is reported
// through `onTestCaseResult`, so that is where the reporter gathers them (deduplicated by
// identity with the modules `onTestRunEnd` passes, for runs where hooks were skipped).

import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { TestAnnotation } from 'vitest';
import type { Reporter, SerializedError, TestCase, TestModule, TestRunEndReason, Vitest } from 'vitest/node';
import { compareWithBaseline, parseResultsDocument, resolveNoise } from './baseline.js';
import type { NoiseOverrides } from './baseline.js';
import { collectRun } from './collect.js';
import type { BaselineComparison, RunReport } from './model.js';
import { buildRunReport } from './report.js';
import { renderHtmlReport } from './render/html.js';
import { renderResultsJson } from './render/json.js';
import { renderMarkdownSummary } from './render/markdown.js';
import { renderProgressLine, renderTerminalReport } from './render/terminal.js';
import { currentRunMeta } from './run-meta.js';
import { appendToFile, writeReportFile } from './write.js';

export interface ConduitLoadReporterOptions {
  /** Directory for the report files, relative to the Vitest root. @default 'reports/load' */
  outDir: string;
  /** Print the per-scenario tables and the verdict when the run ends. @default true */
  terminal: boolean;
  /** Print a line for each `progress` annotation (`annotate(message, 'progress')`). @default true */
  progress: boolean;
  /** Markdown summary file name in outDir, or false to skip it. @default 'summary.md' */
  markdown: string | false;
  /** JSON results file name in outDir, or false to skip it. @default 'results.json' */
  json: string | false;
  /** HTML report file name in outDir, or false to skip it. @default 'report.html' */
  html: string | false;
  /**
   * File the markdown summary is appended to; null reads `$GITHUB_STEP_SUMMARY` (skipped
   * when unset); false never appends. @default null
   */
  stepSummary: string | false | null;
  /**
   * A previous results.json to compare against (relative to the Vitest root); null reads
   * `$CONDUIT_LOAD_BASELINE` (relative to the working directory; no comparison when
   * unset). @default null
   */
  baseline: string | null;
  /**
   * How far a change must go to be flagged against the baseline: `z` (standard errors of
   * both runs' noise) and a minimum effect per kind of figure, merged over DEFAULT_NOISE.
   * @default {}
   */
  noise: NoiseOverrides;
  /** Make regressions beyond noise fail the verdict and set a non-zero exit code. @default false */
  failOnRegression: boolean;
  /** Called for warnings; null uses Vitest's logger (stderr). @default null */
  onWarn: ((message: string) => void) | null;
}

export const DEFAULT_REPORTER_OPTIONS: Readonly<ConduitLoadReporterOptions> = Object.freeze({
  outDir: 'reports/load',
  terminal: true,
  progress: true,
  markdown: 'summary.md',
  json: 'results.json',
  html: 'report.html',
  stepSummary: null,
  baseline: null,
  noise: {},
  failOnRegression: false,
  onWarn: null,
});

export interface ReportFiles {
  markdown?: string;
  json?: string;
  html?: string;
  stepSummary?: string;
}

export class ConduitLoadReporter implements Reporter {
  readonly options: ConduitLoadReporterOptions;
  private vitest: Vitest | undefined;
  private cases = new Set<TestCase>();
  /** The last report and the files written (for programmatic callers and tests). */
  lastReport: RunReport | undefined;
  lastFiles: ReportFiles = {};

  constructor(options: Partial<ConduitLoadReporterOptions> = {}) {
    this.options = { ...DEFAULT_REPORTER_OPTIONS, ...options };
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
    this.cases = new Set();
  }

  onTestRunStart(): void {
    this.cases = new Set();
  }

  onTestCaseResult(testCase: TestCase): void {
    this.cases.add(testCase);
  }

  onTestCaseAnnotate(testCase: TestCase, annotation: TestAnnotation): void {
    // Progress is live information: a --merge-reports replay would only repeat it.
    if (this.options.progress && annotation.type === 'progress' && !this.vitest?.config.mergeReports) {
      this.log(renderProgressLine(testCase.fullName, annotation.message));
    }
  }

  async onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): Promise<void> {
    try {
      for (const module of testModules) for (const test of module.children.allTests()) this.cases.add(test);
      const root = this.root();
      const merged = Boolean(this.vitest?.config.mergeReports);
      const run = collectRun(this.cases, unhandledErrors, { root });
      const meta = currentRunMeta(root, merged ? 'merged' : reason);
      const baseline = await this.loadBaseline(run.scenarios);
      const report = buildRunReport(run, meta, baseline, { failOnRegression: this.options.failOnRegression });
      this.lastReport = report;
      if (this.options.failOnRegression && report.verdict.regressions > 0) process.exitCode = 1;
      if (this.options.terminal) this.log(renderTerminalReport(report));
      this.lastFiles = await this.writeAll(report);
    } catch (error) {
      this.warn(`load report failed: ${(error as Error).stack ?? String(error)}`);
    }
  }

  /** Renders and writes every enabled file; each failure only warns. */
  async writeAll(report: RunReport): Promise<ReportFiles> {
    const o = this.options;
    const dir = this.resolvePath(o.outDir);
    const warn = (m: string) => this.warn(m);
    const files: ReportFiles = {};
    const markdown = o.markdown !== false || this.stepSummaryPath() ? renderMarkdownSummary(report) : '';
    if (o.json !== false) files.json = await writeReportFile(dir, o.json, renderResultsJson(report), warn);
    if (o.markdown !== false) files.markdown = await writeReportFile(dir, o.markdown, markdown, warn);
    if (o.html !== false) files.html = await writeReportFile(dir, o.html, renderHtmlReport(report), warn);
    const step = this.stepSummaryPath();
    if (step && (await appendToFile(step, markdown, warn))) files.stepSummary = step;
    return files;
  }

  private async loadBaseline(
    scenarios: RunReport['scenarios'],
  ): Promise<{ comparison?: BaselineComparison; warning?: string }> {
    // The option is relative to the Vitest root (like outDir); the env var, typed in a
    // shell, to the working directory.
    const fromEnv = this.options.baseline === null;
    const path = this.options.baseline ?? process.env.CONDUIT_LOAD_BASELINE;
    if (!path) return {};
    try {
      const file = fromEnv ? resolve(path) : this.resolvePath(path);
      const doc = parseResultsDocument(await readFile(file, 'utf8'));
      const comparison = compareWithBaseline(scenarios, doc, path, resolveNoise(this.options.noise));
      for (const skipped of (comparison.skipped ?? []).filter((s) => !s.metric))
        this.warn(`baseline ${path}: ${skipped.scenario} not compared: ${skipped.why}`);
      return { comparison };
    } catch (error) {
      const warning = `${path}: ${(error as Error).message}`;
      this.warn(`baseline not used: ${warning}`);
      return { warning };
    }
  }

  private stepSummaryPath(): string | undefined {
    const s = this.options.stepSummary;
    if (s === false) return undefined;
    return s ?? (process.env.GITHUB_STEP_SUMMARY || undefined);
  }

  private root(): string {
    return this.vitest?.config.root ?? process.cwd();
  }

  private resolvePath(path: string): string {
    return isAbsolute(path) ? path : resolve(this.root(), path);
  }

  private log(text: string): void {
    if (this.vitest) this.vitest.logger.log(text);
    else process.stdout.write(`${text}\n`);
  }

  private warn(message: string): void {
    const text = `[conduit load reporter] ${message}`;
    if (this.options.onWarn) this.options.onWarn(text);
    else if (this.vitest) this.vitest.logger.warn(text);
    else console.warn(text);
  }
}

/** Default export, so the reporter also works by path: `--reporter=./src/reporters/ConduitLoadReporter.ts`. */
export default ConduitLoadReporter;
