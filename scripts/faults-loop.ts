// The fault-injection loop (issue 12 item 3): run the fault tests (test/faults/) N times
// in a row and print, per fault, how many runs passed and how many messages or blobs
// were lost over all runs (the bar: N/N passed, 0 lost).
//
//   npm run faults:loop                          # 10 runs of every fault
//   npm run faults:loop -- --runs 3 test/faults/sigterm.test.ts
//
// Each run is one `vitest run` of the fault files with the JSON reporter; each fault
// test appends its counts to CONDUIT_FAULTS_REPORT (test/faults/ledger.ts) before it
// asserts them. Runs go one after another. Exit 0 when every run of every fault passed
// with nothing lost, 1 otherwise.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Options {
  runs: number;
  files: string[];
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { runs: 10, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--runs' && argv[i + 1] !== undefined) options.runs = Number(argv[++i]);
    else options.files.push(arg);
  }
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error('--runs needs a positive integer');
  if (options.files.length === 0) options.files = ['test/faults'];
  return options;
}

interface JsonResult {
  testResults: Array<{ assertionResults: Array<{ fullName: string; status: string; duration?: number }> }>;
}

interface Tally {
  passed: number;
  runs: number;
  lost: number;
  expected: number;
  ms: number[];
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'conduit-faults-'));
  const counts = join(dir, 'counts.jsonl');
  const tallies = new Map<string, Tally>();
  const tally = (name: string) => {
    const t = tallies.get(name) ?? { passed: 0, runs: 0, lost: 0, expected: 0, ms: [] };
    tallies.set(name, t);
    return t;
  };
  const started = Date.now();
  try {
    for (let run = 1; run <= o.runs; run++) {
      const out = join(dir, `run-${run}.json`);
      const child = spawn(
        process.execPath,
        [
          'node_modules/vitest/vitest.mjs',
          'run',
          '--config',
          'vitest.config.ts',
          '--reporter=json',
          `--outputFile=${out}`,
          ...o.files,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CONDUIT_FAULTS_REPORT: counts } },
      );
      const [code] = (await once(child, 'exit')) as [number | null];
      let result: JsonResult;
      try {
        result = JSON.parse(readFileSync(out, 'utf8')) as JsonResult;
      } catch {
        process.stdout.write(`run ${run}: vitest exited ${code} without a result file\n`);
        return 1;
      }
      const failed: string[] = [];
      for (const file of result.testResults)
        for (const t of file.assertionResults) {
          const x = tally(t.fullName);
          x.runs++;
          if (t.status === 'passed') x.passed++;
          else failed.push(t.fullName);
          if (t.duration !== undefined) x.ms.push(t.duration);
        }
      process.stdout.write(`run ${run}/${o.runs}: ${failed.length === 0 ? 'ok' : `FAILED ${failed.join('; ')}`}\n`);
    }
    let lines: string[] = [];
    try {
      lines = readFileSync(counts, 'utf8').split('\n').filter(Boolean);
    } catch {
      /* no fault reported counts */
    }
    for (const line of lines) {
      const c = JSON.parse(line) as { test: string; lost: number; expected: number };
      const t = tally(c.test);
      t.lost += c.lost;
      t.expected += c.expected;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  let ok = true;
  process.stdout.write('\n');
  for (const [name, t] of [...tallies].sort(([a], [b]) => a.localeCompare(b))) {
    const good = t.passed === o.runs && t.lost === 0;
    ok &&= good;
    const max = t.ms.length > 0 ? Math.max(...t.ms) : 0;
    const mean = t.ms.length > 0 ? t.ms.reduce((a, b) => a + b, 0) / t.ms.length : 0;
    process.stdout.write(
      `${good ? 'ok  ' : 'FAIL'} ${t.passed}/${o.runs} passed, ${t.lost} lost (of ${t.expected} counted)` +
        `  mean ${(mean / 1000).toFixed(1)} s, max ${(max / 1000).toFixed(1)} s  ${name}\n`,
    );
  }
  process.stdout.write(
    `\n${o.runs} runs in ${((Date.now() - started) / 1000).toFixed(0)} s: ${ok ? 'ok' : 'FAILED'}\n`,
  );
  return ok ? 0 : 1;
}

process.exitCode = await main();
