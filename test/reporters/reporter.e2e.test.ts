// End-to-end: Vitest runs a fixture project programmatically with the Conduit reporter.
// Three runs in total (they cost seconds each): machine "a" (reporter + blob), machine
// "b" (blob only), then `--merge-reports` of both blobs with the reporter.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVitest } from 'vitest/node';
import type { Reporter } from 'vitest/node';
import { ConduitLoadReporter } from '../../src/reporters/index.js';
import { parseResultsDocument } from '../../src/reporters/baseline.js';
import { DATASETS, histogramOf } from './fixtures/results.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(HERE, 'fixtures/project');
const REPORTER_PATH = join(HERE, '../../src/reporters/ConduitLoadReporter.ts');

/** A stream that keeps what is written, synchronously (no Writable buffering). */
class Capture extends Writable {
  text = '';
  override write(chunk: unknown, ...rest: unknown[]): boolean {
    this.text += String(chunk);
    const callback = rest.find((r): r is () => void => typeof r === 'function');
    callback?.();
    return true;
  }
}

interface RunOutput {
  readonly stdout: string;
  readonly stderr: string;
  failed: number;
}

async function runVitest(
  tmp: string,
  reporters: Reporter[] | Array<[string, object]>,
  options: { dataset?: 'a' | 'b'; mergeReports?: string },
): Promise<RunOutput> {
  const stdout = new Capture();
  const stderr = new Capture();
  const exitCode = process.exitCode;
  try {
    const vitest = await startVitest(
      'test',
      [],
      {
        root: FIXTURE,
        config: false,
        include: ['*.load.ts'],
        watch: false,
        pool: 'threads',
        cache: false,
        reporters: reporters as never,
        ...(options.dataset ? { env: { CONDUIT_FIXTURE_DATASET: options.dataset } } : {}),
        ...(options.mergeReports ? { mergeReports: options.mergeReports } : {}),
      },
      { cacheDir: join(tmp, 'vite-cache'), logLevel: 'silent' },
      { stdout, stderr },
    );
    return {
      get stdout() {
        return stdout.text;
      },
      get stderr() {
        return stderr.text;
      },
      failed: vitest.state.getCountOfFailedTests(),
    };
  } finally {
    // A failing fixture run sets process.exitCode; it must not leak into this test run.
    process.exitCode = exitCode;
  }
}

describe('ConduitLoadReporter end to end', () => {
  let tmp: string;
  let single: RunOutput;
  let merged: RunOutput;
  const good = new ConduitLoadReporter({ outDir: 'placeholder' });
  const env = { step: process.env.GITHUB_STEP_SUMMARY, baseline: process.env.CONDUIT_LOAD_BASELINE };

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'conduit-reporters-'));
    const blobs = join(tmp, 'blobs');
    await mkdir(blobs);
    await writeFile(join(tmp, 'not-a-dir'), 'x');
    await writeFile(join(tmp, 'step-summary.md'), 'previous step\n');
    process.env.GITHUB_STEP_SUMMARY = join(tmp, 'step-summary.md');
    process.env.CONDUIT_LOAD_BASELINE = join(tmp, 'missing-baseline.json');
    good.options.outDir = join(tmp, 'out');
    // An outDir below a regular file cannot be created, even as root.
    const unwritable = new ConduitLoadReporter({
      outDir: join(tmp, 'not-a-dir', 'out'),
      terminal: false,
      progress: false,
      stepSummary: false,
    });

    single = await runVitest(tmp, [good, unwritable, ['blob', { outputFile: join(blobs, 'a.json') }] as never], {
      dataset: 'a',
    });
    delete process.env.GITHUB_STEP_SUMMARY;
    delete process.env.CONDUIT_LOAD_BASELINE;
    await runVitest(tmp, [['blob', { outputFile: join(blobs, 'b.json') }]], { dataset: 'b' });
    // The tuple form a config uses, by path (the module's default export).
    merged = await runVitest(tmp, [[REPORTER_PATH, { outDir: join(tmp, 'merged'), stepSummary: false }]], {
      mergeReports: blobs,
    });
  }, 90_000);

  afterAll(async () => {
    for (const [key, value] of [
      ['GITHUB_STEP_SUMMARY', env.step],
      ['CONDUIT_LOAD_BASELINE', env.baseline],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('writes summary.md, results.json and report.html with the verdict', async () => {
    expect(single.failed).toBe(0);
    const out = join(tmp, 'out');
    expect((await readdir(out)).sort()).toEqual(['report.html', 'results.json', 'summary.md']);
    const md = await readFile(join(out, 'summary.md'), 'utf8');
    expect(md.split('\n')[0]).toBe(
      '# ✅ Load run passed: 1 scenario, 2/2 checks passed, memory stable (no leak above 3.0 MiB/min)',
    );
    const doc = parseResultsDocument(await readFile(join(out, 'results.json'), 'utf8'));
    expect(doc.verdict.passed).toBe(true);
    expect(doc.meta.reason).toBe('passed');
    expect(doc.scenarios[0]!.histograms['http.latency']!.summary.count).toBe(DATASETS.a.length);
    expect(doc.tests).toEqual([
      { module: 'scenario.load.ts', name: 'uploads', state: 'passed', failures: [], scenario: 'uploads' },
    ]);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('✅ Load run passed');
  });

  it('prints the tables, progress lines and verdict in the terminal', () => {
    expect(single.stdout).toContain('⏳ uploads: dataset a: halfway');
    expect(single.stdout).toMatch(/http\.latency \(CO-corrected\)\s+ms\s+4,000/);
    expect(single.stdout).toContain('✅ Load run passed');
  });

  it('appends the summary to $GITHUB_STEP_SUMMARY', async () => {
    const step = await readFile(join(tmp, 'step-summary.md'), 'utf8');
    expect(step.startsWith('previous step\n# ✅ Load run passed')).toBe(true);
  });

  it('warns, without failing the run, when a directory is unwritable or the baseline is missing', () => {
    expect(single.stderr).toMatch(/\[conduit load reporter\] could not write .*not-a-dir.*results\.json/);
    expect(single.stderr).toMatch(/\[conduit load reporter\] baseline not used: .*missing-baseline\.json/);
    expect(existsSync(join(tmp, 'not-a-dir', 'out'))).toBe(false);
    expect(good.lastReport!.baselineWarning).toMatch(/missing-baseline\.json/);
  });

  it('merges the histograms of two blob files of the same scenario losslessly', async () => {
    const doc = parseResultsDocument(await readFile(join(tmp, 'merged', 'results.json'), 'utf8'));
    expect(doc.meta.reason).toBe('merged');
    expect(doc.scenarios).toHaveLength(1);
    const scenario = doc.scenarios[0]!;
    expect(scenario.sources.map((s) => s.label)).toEqual([
      'scenario.load.ts > uploads',
      'scenario.load.ts > uploads #2',
    ]);
    const latency = scenario.histograms['http.latency']!.summary;
    const oneHistogram = histogramOf([...DATASETS.a, ...DATASETS.b]).summary;
    expect(latency.count).toBe(DATASETS.a.length + DATASETS.b.length);
    expect(latency.p99).toBe(oneHistogram.p99);
    expect(latency).toEqual(oneHistogram);
    expect(doc.verdict.passed).toBe(false); // machine b failed its error-rate check
    expect(doc.tests.map((t) => t.state).sort()).toEqual(['failed', 'passed']);
    const md = await readFile(join(tmp, 'merged', 'summary.md'), 'utf8');
    expect(md.split('\n')[0]).toMatch(/^# ❌ Load run failed: 1 scenario, 1 of 4 checks failed \(error rate < 1%\)/);
    expect(md).toContain('merged from 2 sources');
    expect(merged.stdout).toContain('(merged from 2 sources)');
    expect(merged.stdout).not.toContain('⏳'); // progress is not replayed
  });
});
