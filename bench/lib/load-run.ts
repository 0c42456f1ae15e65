// Running the load suite as a user does (`npm run <script>` with environment knobs) and
// reading back its results.json: what the calibration benches share.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseResultsDocument } from '../../src/reporters/baseline.js';
import type { ResultsDocument } from '../../src/reporters/model.js';

export interface LoadRun {
  code: number;
  doc: ResultsDocument;
  /** Where this run's results.json was kept. */
  file: string;
  seconds: number;
}

/**
 * Runs `npm run <script>` with `env` over the current environment; keeps its results.json
 * as `keepAs`. With BENCH_LOCK_FILE set, each run holds an exclusive flock(1) on that file
 * (a shared machine's other heavy jobs can wait on it instead of skewing the run).
 */
export async function runLoad(
  script: string,
  env: Record<string, string>,
  keepAs: string,
  quiet = true,
): Promise<LoadRun> {
  const started = performance.now();
  const lock = process.env.BENCH_LOCK_FILE;
  const [command, args] = lock ? ['flock', ['-x', lock, 'npm', 'run', script]] : ['npm', ['run', script]];
  const child = spawn(command, args, {
    stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    env: { ...process.env, ...env },
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  mkdirSync(dirname(keepAs), { recursive: true });
  copyFileSync(join('reports', 'load', 'results.json'), keepAs);
  return {
    code: code ?? 1,
    doc: parseResultsDocument(readFileSync(keepAs, 'utf8')),
    file: keepAs,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Node options that preload a fixture of bench/fixtures into the managed gateway only. */
export function gatewayPreload(fixture: string): Record<string, string> {
  return { CONDUIT_GATEWAY_NODE_OPTIONS: `--import ./bench/fixtures/${fixture}` };
}
