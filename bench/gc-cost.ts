// What watching the target's memory through its inspector costs the target: the ws
// scenario (the latency-sensitive one: ~1 ms answers) with readings off, at the default
// cadence of a 60 s run without and with the sampling heap profiler, and twice as often,
// in rotating order, several rounds. Prints per arm the median over rounds of the enqueue
// and delivery percentiles and their ratio to "off", and the GC pauses the target reported.
//
//   npx tsx bench/gc-cost.ts                       # 3 rounds × 4 arms × 60 s (~20 min)
//   BENCH_ROUNDS=5 BENCH_DURATION_S=30 npx tsx bench/gc-cost.ts
import { defaultGcEveryS } from '../src/load/scenario.js';
import { median } from './lib/proc.js';
import { runLoad } from './lib/load-run.js';

const ROUNDS = Math.min(9, Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3)));
const DURATION_S = Math.min(300, Math.max(10, Number(process.env.BENCH_DURATION_S ?? 60)));
const every = defaultGcEveryS(DURATION_S);
interface Arm {
  name: string;
  gcEveryS: number;
  profile: boolean;
}
const arms: Arm[] = [
  { name: 'off', gcEveryS: 0, profile: false },
  { name: `every ${every} s`, gcEveryS: every, profile: false },
  { name: `every ${every} s + profile`, gcEveryS: every, profile: true },
  { name: `every ${every / 2} s + profile`, gcEveryS: every / 2, profile: true },
];
const FIGURES = [
  ['http.latency', 'p50'],
  ['http.latency', 'p99'],
  ['http.latency', 'p999'],
  ['ws.delivery', 'p50'],
  ['ws.delivery', 'p99'],
  ['ws.delivery', 'p999'],
] as const;

type Figures = Record<string, number>;
const results = new Map<string, Figures[]>(arms.map((a) => [a.name, []]));
const pauses = new Map<string, number[]>(arms.map((a) => [a.name, []]));

console.log(`gc-cost: ws scenario, ${DURATION_S} s, arms ${arms.map((a) => a.name).join(' / ')}, ${ROUNDS} rounds`);
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order so no arm always runs first (on a cooler machine).
  const order = arms.map((_, i) => arms[(i + round) % arms.length]!);
  for (const arm of order) {
    const env = {
      CONDUIT_LOAD_DURATION_S: String(DURATION_S),
      CONDUIT_LOAD_GC_EVERY_S: String(arm.gcEveryS),
      CONDUIT_LOAD_HEAP_PROFILE: String(arm.profile),
    };
    const run = await runLoad(
      'load:ws',
      env,
      `reports/bench/gc-cost/${arm.name.replace(/\W+/g, '-')}-${round + 1}.json`,
    );
    const s = run.doc.scenarios.find((x) => x.scenario === 'ws');
    if (!s) throw new Error(`no ws result in ${run.file}`);
    const figures: Figures = {};
    for (const [h, p] of FIGURES) figures[`${h} ${p}`] = s.histograms[h]?.summary[p] ?? NaN;
    results.get(arm.name)!.push(figures);
    if (s.memory.heap?.gcMsMedian !== undefined) pauses.get(arm.name)!.push(s.memory.heap.gcMsMedian);
    console.log(
      `  round ${round + 1} ${arm.name}: ${Object.entries(figures)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(
          ' · ',
        )}${s.memory.heap?.gcMsMedian ? ` · pause median ${s.memory.heap.gcMsMedian} ms, max ${s.memory.heap.gcMsMax} ms` : ''}${s.generator.saturated ? ' · generator saturated' : ''}`,
    );
  }
}

console.log(`\nmedians over ${ROUNDS} rounds (ms), ratio to readings off:`);
const off = results.get('off')!;
for (const key of FIGURES.map(([h, p]) => `${h} ${p}`)) {
  const base = median(off.map((f) => f[key]!));
  const cells = arms.map((a) => {
    const m = median(results.get(a.name)!.map((f) => f[key]!));
    return a.gcEveryS === 0 ? `off ${m.toFixed(2)}` : `${a.name} ${m.toFixed(2)} (${(m / base).toFixed(2)}×)`;
  });
  console.log(`  ${key.padEnd(18)} ${cells.join('   ')}`);
}
for (const a of arms.slice(1)) {
  const p = pauses.get(a.name)!;
  const pause = p.length ? median(p) : 0;
  console.log(
    `  GC pause, ${a.name}: median of run medians ${p.length ? pause.toFixed(1) : '—'} ms (${((pause / (a.gcEveryS * 1000)) * 100).toFixed(2)} % of the time)`,
  );
}
