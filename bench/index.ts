// Runs every benchmark, one after another, each in its own process (so one bench's
// heap and sockets never skew the next). Each prints its own figures and the ratio
// against the baseline it measures in the same run.
//
//   npm run bench                  # all
//   npm run bench -- uploads       # the ones whose name contains "uploads"
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

// gc-cost, memory-verdict and baseline-calibration measure the harness itself: they run
// the load suite as users do, for 15 to 35 minutes each.
const BENCHES = [
  'http-enqueue',
  'log-writes',
  'ws-delivery',
  'uploads',
  'generator',
  'ws-fleet',
  'gc-cost',
  'memory-verdict',
  'baseline-calibration',
] as const;

const filters = process.argv.slice(2);
const selected = BENCHES.filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)));
if (selected.length === 0) {
  console.error(`no benchmark matches ${filters.join(', ')}; known: ${BENCHES.join(', ')}`);
  process.exit(2);
}

let failed = 0;
for (const name of selected) {
  console.log(`\n=== bench/${name}.ts`);
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit', env: process.env });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0) {
    failed++;
    console.error(`bench/${name}.ts exited with ${signal ?? code}`);
  }
}
process.exit(failed ? 1 : 0);
