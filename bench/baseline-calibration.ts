// Calibration of the baseline comparison on this machine: for each of N rounds, a
// baseline run A of `npm run load`, a second clean run B (an A/A pair: nothing should be
// flagged) and a run C with every gateway HTTP answer held a known 5 ms longer
// (bench/fixtures/slow-answers.mjs: a latency regression that must be flagged). B and C
// swap places every other round, so neither always runs on a warmer machine.
//
//   npx tsx bench/baseline-calibration.ts          # 10 rounds of 20 s runs (~35 min)
//   BENCH_ROUNDS=3 BENCH_DURATION_S=10 BENCH_DELAY_MS=5 npx tsx bench/baseline-calibration.ts
//   BENCH_ROUNDS=4 BENCH_FIRST_ROUND=5 npx tsx bench/baseline-calibration.ts   # rounds 5–8 of a run in parts
//
// Prints, per round, what each comparison flagged, then how many A/A pairs stayed quiet
// and in how many rounds the +5 ms was flagged as a latency regression.
import { compareWithBaseline, resolveNoise } from '../src/reporters/baseline.js';
import type { MetricDelta } from '../src/reporters/model.js';
import { gatewayPreload, runLoad } from './lib/load-run.js';
import type { LoadRun } from './lib/load-run.js';

const ROUNDS = Math.min(20, Math.max(1, Number(process.env.BENCH_ROUNDS ?? 10)));
const DURATION_S = Math.min(120, Math.max(5, Number(process.env.BENCH_DURATION_S ?? 20)));
const DELAY_MS = Math.max(0, Number(process.env.BENCH_DELAY_MS ?? 5));
// Rounds are numbered from here, so a long calibration can run in parts without overwriting files.
const FIRST = Math.max(1, Math.floor(Number(process.env.BENCH_FIRST_ROUND ?? 1)));
const env = { CONDUIT_LOAD_DURATION_S: String(DURATION_S) };
const slow = { ...env, ...gatewayPreload('slow-answers.mjs'), CONDUIT_DELAY_MS: String(DELAY_MS) };

function compare(current: LoadRun, base: LoadRun): MetricDelta[] {
  const comparison = compareWithBaseline(current.doc.scenarios, base.doc, base.file, resolveNoise());
  for (const c of comparison.cautions ?? []) console.log(`    ⚠ ${current.file}: ${c.scenario}: ${c.why}`);
  return comparison.deltas;
}
const flagged = (deltas: readonly MetricDelta[]) => deltas.filter((d) => d.regression);
const describe = (deltas: readonly MetricDelta[]) =>
  deltas
    .map(
      (d) =>
        `${d.scenario} ${d.metric} ${d.delta > 0 ? '+' : ''}${d.delta.toPrecision(3)} (band ±${d.allowed.toPrecision(3)})`,
    )
    .join('; ') || 'nothing';

console.log(
  `baseline-calibration: ${ROUNDS} rounds of npm run load at ${DURATION_S} s; the regression is +${DELAY_MS} ms on every gateway HTTP answer`,
);
let quietPairs = 0;
let caught = 0;
for (let round = FIRST; round < FIRST + ROUNDS; round++) {
  const dir = `reports/bench/baseline-calibration/round-${round}`;
  const a = await runLoad('load', env, `${dir}/a.json`);
  const order = round % 2 === 1 ? (['b', 'c'] as const) : (['c', 'b'] as const);
  const runs: Partial<Record<'b' | 'c', LoadRun>> = {};
  for (const which of order) runs[which] = await runLoad('load', which === 'b' ? env : slow, `${dir}/${which}.json`);
  const aa = flagged(compare(runs.b!, a));
  const regression = flagged(compare(runs.c!, a)).filter((d) => d.unit === 'ms');
  if (aa.length === 0) quietPairs++;
  if (regression.length > 0) caught++;
  console.log(`  round ${round} (${order.join(' then ')}): A/A flagged ${describe(aa)}`);
  console.log(`  round ${round}: +${DELAY_MS} ms flagged ${describe(regression)}`);
}
console.log(`\nA/A pairs with no regression: ${quietPairs} of ${ROUNDS}`);
console.log(`+${DELAY_MS} ms on every HTTP answer flagged as a latency regression: ${caught} of ${ROUNDS}`);
process.exit(0);
