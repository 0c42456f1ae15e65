// A/A calibration of the baseline comparison: run the same load job several times on
// this machine (same commit, same knobs), compare each run with the one before, and
// print what would have been flagged — every figure with |Δ| / band — and, per kind of
// figure, the minimum effect that would have kept the pairs quiet. Use it to tune the
// reporter's `noise` option for a runner before turning on failOnRegression.
//
//   npm run load:aa                                   # 2 runs of `npm run load`
//   npm run load:aa -- --runs 4 --script load:ws --env CONDUIT_LOAD_DURATION_S=20
//
// Runs go one after another (never in parallel: they would load each other's target);
// each run's results.json is kept as reports/aa/run-N.json, and every run after the
// first also gets CONDUIT_LOAD_BASELINE of the previous one, so its own report shows the
// Baseline table as a user would see it. Exit 0 when every pair was quiet, 1 otherwise.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { calibrate, renderCalibration, renderComparison } from '../src/reporters/render/comparison.js';
import type { MetricDelta } from '../src/reporters/model.js';
import { comparePaths } from './compare-results.js';

interface Options {
  runs: number;
  script: string;
  env: Record<string, string>;
}

export function parseArgs(argv: readonly string[]): Options {
  const options: Options = { runs: 2, script: 'load', env: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = argv[i + 1];
    if (arg === '--runs' && value !== undefined) {
      options.runs = Number(value);
      i++;
    } else if (arg === '--script' && value !== undefined) {
      options.script = value;
      i++;
    } else if (arg === '--env' && value !== undefined && /^[A-Z_][A-Z0-9_]*=/.test(value)) {
      const eq = value.indexOf('=');
      options.env[value.slice(0, eq)] = value.slice(eq + 1);
      i++;
    } else {
      throw new Error(`unknown or incomplete argument ${JSON.stringify(arg)}`);
    }
  }
  if (!Number.isInteger(options.runs) || options.runs < 2 || options.runs > 20)
    throw new Error('--runs must be an integer from 2 to 20');
  if (!/^[\w:.-]+$/.test(options.script))
    throw new Error(`--script ${JSON.stringify(options.script)} is not an npm script name`);
  return options;
}

async function runOnce(options: Options, baseline: string | undefined): Promise<number> {
  const env = { ...process.env, ...options.env, ...(baseline ? { CONDUIT_LOAD_BASELINE: baseline } : {}) };
  const child = spawn('npm', ['run', options.script], { stdio: 'inherit', env });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code ?? 1;
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(
      `load:aa: ${(error as Error).message}\nusage: npm run load:aa -- [--runs N] [--script NAME] [--env NAME=VALUE]…`,
    );
    return 2;
  }
  const dir = join('reports', 'aa');
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let run = 1; run <= options.runs; run++) {
    console.log(`\n=== load:aa run ${run} of ${options.runs}: npm run ${options.script}`);
    const code = await runOnce(options, files.at(-1));
    if (code !== 0) console.log(`load:aa: run ${run} exited ${code} (its figures are still compared)`);
    const file = join(dir, `run-${run}.json`);
    copyFileSync(join('reports', 'load', 'results.json'), file);
    files.push(file);
  }
  const all: MetricDelta[] = [];
  let noisy = 0;
  console.log('');
  for (let i = 1; i < files.length; i++) {
    const comparison = comparePaths(files[i - 1]!, files[i]!);
    all.push(...comparison.deltas);
    if (comparison.deltas.some((d) => d.regression)) noisy++;
    console.log(`${renderComparison(comparison, `${files[i]} against ${files[i - 1]}`)}\n`);
  }
  console.log(renderCalibration(calibrate(all), files.length - 1, noisy));
  return noisy > 0 ? 1 : 0;
}

// Only when run as a script (tests import parseArgs).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
