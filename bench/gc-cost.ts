// What the forced post-GC readings cost the target: the ws scenario (the latency-
// sensitive one: ~1 ms answers) with readings off, at the default cadence of a 60 s run
// and twice as often, in rotating order, several rounds. Prints per cadence the median
// over rounds of the enqueue and delivery percentiles and their ratio to "off", and the
// GC pauses the target reported.
//
//   npx tsx bench/gc-cost.ts                       # 3 rounds × 3 cadences × 60 s (~15 min)
//   BENCH_ROUNDS=5 BENCH_DURATION_S=30 npx tsx bench/gc-cost.ts
import { defaultGcEveryS } from '../src/load/scenario.js';
import { median } from './lib/proc.js';
import { runLoad } from './lib/load-run.js';

const ROUNDS = Math.min(9, Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3)));
const DURATION_S = Math.min(300, Math.max(10, Number(process.env.BENCH_DURATION_S ?? 60)));
const every = defaultGcEveryS(DURATION_S);
const cadences = [0, every, every / 2];
const FIGURES = [['http.latency', 'p50'], ['http.latency', 'p99'], ['http.latency', 'p999'], ['ws.delivery', 'p50'], ['ws.delivery', 'p99'], ['ws.delivery', 'p999']] as const;

type Figures = Record<string, number>;
const results = new Map<number, Figures[]>(cadences.map((c) => [c, []]));
const pauses = new Map<number, number[]>(cadences.map((c) => [c, []]));

console.log(`gc-cost: ws scenario, ${DURATION_S} s, forced post-GC readings every ${cadences.map((c) => (c === 0 ? 'off' : `${c} s`)).join(' / ')}, ${ROUNDS} rounds`);
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order so no cadence always runs first (on a cooler machine).
  const order = cadences.map((_, i) => cadences[(i + round) % cadences.length]!);
  for (const gcEveryS of order) {
    const run = await runLoad('test:load-ws', { CONDUIT_LOAD_DURATION_S: String(DURATION_S), CONDUIT_LOAD_GC_EVERY_S: String(gcEveryS) }, `reports/bench/gc-cost/every-${gcEveryS}-${round + 1}.json`);
    const s = run.doc.scenarios.find((x) => x.scenario === 'ws');
    if (!s) throw new Error(`no ws result in ${run.file}`);
    const figures: Figures = {};
    for (const [h, p] of FIGURES) figures[`${h} ${p}`] = s.histograms[h]?.summary[p] ?? NaN;
    results.get(gcEveryS)!.push(figures);
    if (s.memory.heap?.gcMsMedian !== undefined) pauses.get(gcEveryS)!.push(s.memory.heap.gcMsMedian);
    console.log(`  round ${round + 1} every ${gcEveryS || 'off'}: ${Object.entries(figures).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(' · ')}${s.memory.heap?.gcMsMedian ? ` · pause median ${s.memory.heap.gcMsMedian} ms, max ${s.memory.heap.gcMsMax} ms` : ''}${s.generator.saturated ? ' · generator saturated' : ''}`);
  }
}

console.log(`\nmedians over ${ROUNDS} rounds (ms), ratio to readings off:`);
const off = results.get(0)!;
for (const key of FIGURES.map(([h, p]) => `${h} ${p}`)) {
  const base = median(off.map((f) => f[key]!));
  const cells = cadences.map((c) => {
    const m = median(results.get(c)!.map((f) => f[key]!));
    return c === 0 ? `off ${m.toFixed(2)}` : `every ${c} s ${m.toFixed(2)} (${(m / base).toFixed(2)}×)`;
  });
  console.log(`  ${key.padEnd(18)} ${cells.join('   ')}`);
}
for (const c of cadences.slice(1)) {
  const p = pauses.get(c)!;
  console.log(`  GC pause every ${c} s: median of run medians ${p.length ? median(p).toFixed(1) : '—'} ms (${((p.length ? median(p) : 0) / (c * 1000) * 100).toFixed(2)} % of the time)`);
}
