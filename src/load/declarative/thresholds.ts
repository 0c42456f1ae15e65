// Thresholds declared as data, k6-style — `{ 'http.latency p95': '<200ms', errorRate: '<1%',
// memory: 'stable', lost: 0 }` — compiled once, before any load is sent, into calls of the
// existing `expect` matchers (so a breach is an ordinary soft Vitest failure and lands in
// the report like a hand-written check). A key or value that does not parse throws one
// LoadError THRESHOLD naming it.
//
//   errorRate                 '< 1%' | '< 0.01'        toHaveErrorRateBelow
//   memory                    'stable'                 toHaveStableMemory
//   lost                      0                        toHaveNoLostMessages
//   METRIC pNN                '< 200ms' ('s', 'us')    toHaveLatencyPercentileBelow
//   memory[.rss|.heap] growth '< 10%' | '< 200MiB'     toHaveMemoryGrowthBelow
//   count COUNTER             '>= 1000'                toHaveCounterAtLeast
//   throughput KEY            '>= 5'                   toHaveThroughputAtLeast
//   success OK/TOTAL          '>= 95%'                 toHaveSuccessRateAtLeast
import { LoadError } from '../errors.js';
import type { ScenarioResult } from '../result.js';

export type ThresholdSpec = Readonly<Record<string, string | number>>;

/** The part of Vitest's `expect` a compiled threshold calls. */
export interface SoftExpect {
  soft(actual: unknown, message?: string): Record<string, (...args: never[]) => void>;
}

export interface CompiledThreshold {
  /** The key as declared, e.g. 'http.latency p95'. */
  readonly key: string;
  /** The matcher and its arguments, e.g. ['toHaveLatencyPercentileBelow', 'http.latency', 95, 200]. */
  readonly call: readonly [string, ...unknown[]];
}

interface Bound {
  op: '<' | '<=' | '>' | '>=';
  value: number;
  unit: string;
}

const BOUND = /^\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*([a-zA-Zµ%]*)\s*$/;
const TIME_MS: Record<string, number> = { ms: 1, s: 1000, us: 0.001, µs: 0.001 };
const BYTES: Record<string, number> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
};

function problem(key: string, why: string): LoadError {
  return new LoadError('THRESHOLD', `threshold ${JSON.stringify(key)}: ${why}`);
}

function bound(key: string, raw: string | number, ops: ReadonlyArray<Bound['op']>, example: string): Bound {
  const m = typeof raw === 'string' ? BOUND.exec(raw) : null;
  if (!m) throw problem(key, `${JSON.stringify(raw)} is not a bound: write e.g. '${example}'`);
  const op = m[1] as Bound['op'];
  if (!ops.includes(op))
    throw problem(key, `use ${ops.map((o) => `'${o}'`).join(' or ')} here, not '${op}' (e.g. '${example}')`);
  return { op, value: Number(m[2]), unit: m[3]!.toLowerCase() };
}

/** A rate from '1%' or '0.01'. */
function rate(key: string, b: Bound, example: string): number {
  if (b.unit === '%') return b.value / 100;
  if (b.unit === '' && b.value <= 1) return b.value;
  throw problem(key, `a rate is a percentage or a fraction ≤ 1 (e.g. '${example}'), got '${b.value}${b.unit}'`);
}

function compileOne(key: string, raw: string | number): CompiledThreshold['call'] {
  const k = key.trim();
  if (k === 'errorRate') return ['toHaveErrorRateBelow', rate(key, bound(key, raw, ['<'], '< 1%'), '< 1%')];
  if (k === 'memory') {
    if (raw !== 'stable')
      throw problem(key, `the only memory verdict to require is 'stable', got ${JSON.stringify(raw)}`);
    return ['toHaveStableMemory'];
  }
  if (k === 'lost') {
    if (raw !== 0 && raw !== '0')
      throw problem(key, `only 0 lost messages can be required, got ${JSON.stringify(raw)}`);
    return ['toHaveNoLostMessages'];
  }
  let m = /^(\S+)\s+p(\d+(?:\.\d+)?)$/.exec(k);
  if (m) {
    const b = bound(key, raw, ['<'], '< 200ms');
    const scale = TIME_MS[b.unit || 'ms'];
    if (scale === undefined) throw problem(key, `a latency bound needs ms, s or us, got '${b.unit}'`);
    return ['toHaveLatencyPercentileBelow', m[1], Number(m[2]), b.value * scale];
  }
  m = /^memory(?:\.(rss|heap))?\s+growth$/.exec(k);
  if (m) {
    const b = bound(key, raw, ['<'], '< 10%');
    const metric = m[1] === 'rss' ? { metric: 'rss' } : m[1] === 'heap' ? { metric: 'postGcHeap' } : {};
    if (b.unit === '%') return ['toHaveMemoryGrowthBelow', { fraction: b.value / 100, ...metric }];
    const scale = BYTES[b.unit];
    if (scale === undefined)
      throw problem(key, `a growth bound is a percentage of the level or bytes (KiB, MiB, GiB), got '${b.unit}'`);
    return ['toHaveMemoryGrowthBelow', { bytes: b.value * scale, ...metric }];
  }
  m = /^(count|throughput)\s+(\S+)$/.exec(k);
  if (m) {
    const b = bound(key, raw, ['>='], '>= 1000');
    if (b.unit !== '') throw problem(key, `a ${m[1]} bound is a plain number, got '${b.unit}'`);
    return [m[1] === 'count' ? 'toHaveCounterAtLeast' : 'toHaveThroughputAtLeast', m[2], b.value];
  }
  m = /^success\s+([^/\s]+)\/(\S+)$/.exec(k);
  if (m) {
    const r = rate(key, bound(key, raw, ['>='], '>= 95%'), '>= 95%');
    return ['toHaveSuccessRateAtLeast', r, { success: m[1], total: m[2], label: `${m[1]}/${m[2]}` }];
  }
  throw problem(
    key,
    "unknown threshold: use errorRate, memory, lost, 'METRIC pNN', 'memory growth', 'memory.rss growth', 'count COUNTER', 'throughput KEY' or 'success OK/TOTAL'",
  );
}

/** Check every threshold (throws on the first that does not parse) and return the matcher calls. */
export function compileThresholds(spec: ThresholdSpec): CompiledThreshold[] {
  return Object.entries(spec).map(([key, raw]) => ({ key, call: compileOne(key, raw) }));
}

/** Evaluate compiled thresholds as soft expectations on a result. */
export function applyThresholds(
  expect: SoftExpect,
  result: ScenarioResult,
  thresholds: readonly CompiledThreshold[],
): void {
  for (const { key, call } of thresholds) {
    const [matcher, ...args] = call;
    const assertion = expect.soft(result, key);
    (assertion[matcher] as (...a: unknown[]) => void)(...args);
  }
}
