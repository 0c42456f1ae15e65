// Merging ScenarioResults that share a scenario name (several files, machines or blob
// files). Histograms are added losslessly; counts are summed; rates are recomputed over
// the wall-clock span the sources cover; what cannot be merged honestly (memory,
// generator health, thresholds) is kept per source.

import type {
  DeliveryLedgerSummary,
  HistogramRecord,
  IntervalPoint,
  MemoryReport,
  ScenarioResult,
} from '../load/index.js';
import { mergeHistogramRecords } from './internal/histogram.js';
import { combineVerdicts } from './metrics.js';
import type { MergedScenario, ScenarioSource } from './model.js';

export interface LabelledResult {
  /** Where the result came from, e.g. "uploads.load.ts > uploads". */
  label: string;
  result: ScenarioResult | MergedScenario;
}

function isMerged(result: ScenarioResult | MergedScenario): result is MergedScenario {
  return Array.isArray((result as MergedScenario).sources);
}

/** Turns one result into a merged scenario of one source (or returns a merged one as is). */
export function toMergedScenario(label: string, result: ScenarioResult | MergedScenario): MergedScenario {
  if (isMerged(result)) return result;
  const source: ScenarioSource = {
    label,
    startedAt: result.startedAt,
    durationS: result.durationS,
    target: result.target,
    memory: result.memory,
    generator: result.generator,
  };
  return {
    ...result,
    sources: [source],
    thresholds: result.thresholds.map((t) => ({ ...t, source: label })),
  };
}

function sumRecords(records: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const record of records) {
    for (const [key, value] of Object.entries(record ?? {})) out[key] = (out[key] ?? 0) + value;
  }
  return out;
}

function startMs(s: { startedAt: string }): number {
  const ms = Date.parse(s.startedAt);
  return Number.isFinite(ms) ? ms : 0;
}

/** Seconds from the earliest start to the latest end of the given scenarios. */
function wallClockSpanS(parts: readonly MergedScenario[]): number {
  const start = Math.min(...parts.map(startMs));
  const end = Math.max(...parts.map((p) => startMs(p) + p.durationS * 1000));
  return Math.max((end - start) / 1000, ...parts.map((p) => p.durationS));
}

function mergeHistograms(parts: readonly MergedScenario[]): Record<string, HistogramRecord> {
  const byName = new Map<string, HistogramRecord[]>();
  for (const part of parts) {
    for (const [name, record] of Object.entries(part.histograms)) {
      const list = byName.get(name) ?? [];
      list.push(record);
      byName.set(name, list);
    }
  }
  const out: Record<string, HistogramRecord> = {};
  for (const [name, records] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
    out[name] = mergeHistogramRecords(records);
  }
  return out;
}

/**
 * Series merge by interval end `t` (seconds since each source's start): counts and
 * in-flight are summed. Interval percentiles cannot be added without their histograms,
 * so the merged point carries the worst source's p50/p99 (an upper bound, never an average).
 */
export function mergeSeries(series: ReadonlyArray<readonly IntervalPoint[]>): IntervalPoint[] {
  const byT = new Map<number, IntervalPoint>();
  for (const points of series) {
    for (const p of points) {
      const key = Math.round(p.t * 1000) / 1000;
      const seen = byT.get(key);
      if (!seen) {
        byT.set(key, { ...p, t: key });
        continue;
      }
      seen.requests += p.requests;
      seen.errors += p.errors;
      seen.bytes += p.bytes;
      seen.inflight += p.inflight;
      seen.p50 = Math.max(seen.p50, p.p50);
      seen.p99 = Math.max(seen.p99, p.p99);
    }
  }
  return [...byT.values()].sort((a, b) => a.t - b.t);
}

function mergeLedgers(parts: readonly MergedScenario[]): DeliveryLedgerSummary | undefined {
  const ledgers = parts.map((p) => p.ledger).filter((l): l is DeliveryLedgerSummary => l !== undefined);
  if (ledgers.length === 0) return undefined;
  return {
    enqueued: ledgers.reduce((s, l) => s + l.enqueued, 0),
    deliveredUnique: ledgers.reduce((s, l) => s + l.deliveredUnique, 0),
    duplicates: ledgers.reduce((s, l) => s + l.duplicates, 0),
    lost: ledgers.reduce((s, l) => s + l.lost, 0),
    lostSample: ledgers.flatMap((l) => l.lostSample).slice(0, 20),
  };
}

/** The memory report of a merged scenario: the first source's samples, the worst verdict. */
function mergedMemory(sources: readonly ScenarioSource[]): MemoryReport {
  const first = sources[0]!.memory;
  return {
    ...first,
    verdict: combineVerdicts(sources.filter((s) => s.memory.source !== 'none').map((s) => s.memory.verdict)),
    rss: {
      minBytes: Math.min(...sources.map((s) => s.memory.rss.minBytes)),
      maxBytes: Math.max(...sources.map((s) => s.memory.rss.maxBytes)),
      avgBytes: first.rss.avgBytes,
      growthBytes: Math.max(...sources.map((s) => s.memory.rss.growthBytes)),
    },
  };
}

/** Merges results of ONE scenario name. Throws when given none or mixed names. */
export function mergeScenario(results: readonly LabelledResult[]): MergedScenario {
  const parts = results.map((r) => toMergedScenario(r.label, r.result));
  if (parts.length === 0) throw new Error('mergeScenario needs at least one result');
  const first = parts[0]!;
  if (parts.some((p) => p.scenario !== first.scenario)) {
    throw new Error(
      `mergeScenario got several scenario names: ${[...new Set(parts.map((p) => p.scenario))].join(', ')}`,
    );
  }
  if (parts.length === 1) return first;

  const spanS = wallClockSpanS(parts);
  // A rate × its duration is the work done; merged rate = all the work / the wall-clock
  // span. Concurrent machines therefore add up, sequential runs average by duration.
  const work = sumRecords(
    parts.map((p) => Object.fromEntries(Object.entries(p.throughput).map(([k, v]) => [k, v * p.durationS]))),
  );
  const throughput = Object.fromEntries(Object.entries(work).map(([k, v]) => [k, spanS > 0 ? v / spanS : 0]));
  const sources = parts.flatMap((p) => p.sources);
  const earliest = parts.reduce((a, b) => (startMs(b) < startMs(a) ? b : a));

  return {
    schema: first.schema,
    scenario: first.scenario,
    startedAt: earliest.startedAt,
    durationS: spanS,
    target: first.target,
    config: { ...first.config, mergedSources: sources.length },
    histograms: mergeHistograms(parts),
    counters: sumRecords(parts.map((p) => p.counters)),
    statusCodes: sumRecords(parts.map((p) => p.statusCodes)),
    errors: sumRecords(parts.map((p) => p.errors)),
    throughput,
    concurrency: {
      // Sources are assumed concurrent (distributed load): the max is an upper bound.
      max: parts.reduce((s, p) => s + p.concurrency.max, 0),
      mean: spanS > 0 ? parts.reduce((s, p) => s + p.concurrency.mean * p.durationS, 0) / spanS : 0,
    },
    series: mergeSeries(parts.map((p) => p.series)),
    memory: mergedMemory(sources),
    ...(mergeLedgers(parts) ? { ledger: mergeLedgers(parts)! } : {}),
    generator: {
      cpuPercentMax: Math.max(...sources.map((s) => s.generator.cpuPercentMax)),
      cpuPercentAvg: Math.max(...sources.map((s) => s.generator.cpuPercentAvg)),
      rssBytesMax: Math.max(...sources.map((s) => s.generator.rssBytesMax)),
      eventLoopLagP99Ms: Math.max(...sources.map((s) => s.generator.eventLoopLagP99Ms)),
      saturated: sources.some((s) => s.generator.saturated),
      ...(sources.some((s) => s.generator.saturated)
        ? {
            reason: sources
              .filter((s) => s.generator.saturated)
              .map((s) => `${s.label}: ${s.generator.reason ?? 'saturated'}`)
              .join('; '),
          }
        : {}),
    },
    thresholds: parts.flatMap((p) => p.thresholds),
    sources,
  };
}

/** Groups results by scenario name (first-seen order) and merges each group. */
export function mergeByScenario(results: readonly LabelledResult[]): MergedScenario[] {
  const groups = new Map<string, LabelledResult[]>();
  for (const r of results) {
    const list = groups.get(r.result.scenario) ?? [];
    list.push(r);
    groups.set(r.result.scenario, list);
  }
  return [...groups.values()].map(mergeScenario);
}
