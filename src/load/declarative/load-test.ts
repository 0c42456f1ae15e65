// loadTest(name, spec): a scenario as declarations — its duration, knobs, named workloads
// and thresholds — the way a k6 script declares `options.scenarios` and `thresholds`. The
// harness owns the lifecycle: the target (getTarget), the delivery ledger and clock, the
// run (runScenario: memory sampling, generator health, progress, the result published to
// the report), then the thresholds as soft `expect` checks. Thresholds are compiled when
// the scenario file loads, so one that does not parse fails before any load is sent.
// runScenario stays for scenarios this shape does not fit.
import { expect, test } from 'vitest';
import { DeliveryClock } from '../delivery-clock.js';
import { DeliveryLedger } from '../ledger.js';
import { installMatchers } from '../matchers.js';
import type { ScenarioResult, ThresholdOutcome } from '../result.js';
import { runScenario } from '../scenario.js';
import type { ScenarioTestContext } from '../scenario.js';
import { getTarget } from '../target.js';
import { applyThresholds, compileThresholds } from './thresholds.js';
import type { SoftExpect, ThresholdSpec } from './thresholds.js';
import type { ScenarioKit, WorkloadSpec } from './workloads.js';

export interface LoadTestSpec {
  /** Words after the name in the test's title: `ws: <title>`. @default none */
  title?: string;
  /** Seconds of load. */
  durationS: number;
  /** The knobs in force, reported with the result (a defineKnobs() object). */
  config?: Readonly<Record<string, unknown>>;
  /** Histogram of the interval series and the headline. @default 'http.latency' */
  mainMetric?: string;
  /** A progress line every N seconds. @default 0 (none) */
  progressEveryS?: number;
  /** After the deadline, how long in-flight work (and settling deliveries) may take. @default 10000 */
  graceMs?: number;
  /** Named workloads, built once per run; streams and clients come from the kit. */
  workloads: (
    kit: Omit<ScenarioKit, 'producersDone'> & { streams(count: number): string[] },
  ) => Record<string, WorkloadSpec>;
  /** k6-style thresholds (see thresholds.ts), evaluated as soft checks after the run. */
  thresholds: ThresholdSpec;
  /**
   * Checks that are not thresholds (e.g. a clean shutdown, see checks.ts), run after the
   * load: each outcome is recorded in the result (the report lists it) and asserted once.
   */
  after?: (result: ScenarioResult, kit: ScenarioKit) => ThresholdOutcome[] | Promise<ThresholdOutcome[]>;
}

/** Run one declared scenario (see LoadTestSpec); returns the result for more checks in `after`. */
export async function runLoadTest(
  name: string,
  spec: LoadTestSpec,
  context: ScenarioTestContext,
  softExpect: SoftExpect,
): Promise<ScenarioResult> {
  const thresholds = compileThresholds(spec.thresholds);
  const target = getTarget();
  const ledger = new DeliveryLedger();
  const run = `${name}-${Date.now().toString(36)}`;
  let kit: ScenarioKit | undefined;
  let receives = false;
  const result = await runScenario({
    name,
    target,
    durationS: spec.durationS,
    mainMetric: spec.mainMetric ?? 'http.latency',
    config: { ...spec.config },
    context,
    ...(spec.progressEveryS ? { progressEveryS: spec.progressEveryS } : {}),
    ...(spec.graceMs ? { graceMs: spec.graceMs } : {}),
    ledger: () => (receives ? ledger.summary() : undefined),
    workloads: (metrics) => {
      let producersFinished!: () => void;
      const producersDone = new Promise<void>((resolve) => (producersFinished = resolve));
      const base = { target, run, ledger, clock: new DeliveryClock(metrics), closes: [] };
      kit = { ...base, metrics, producersDone };
      const declared = Object.values(spec.workloads({ ...base, metrics, streams: (count) => streamNames(run, count) }));
      receives = declared.some((w) => w.role === 'subscriber');
      let running = declared.filter((w) => w.role === 'producer').length;
      if (running === 0) producersFinished();
      return declared.map((w) => {
        const workload = w.build(kit!);
        if (w.role !== 'producer') return workload;
        return (ctx) => workload(ctx).finally(() => --running === 0 && producersFinished());
      });
    },
  });
  applyThresholds(softExpect, result, thresholds);
  if (spec.after && kit) {
    for (const outcome of await spec.after(result, kit)) {
      result.thresholds.push(outcome);
      (softExpect.soft(outcome.passed, outcome.message) as unknown as { toBe(v: boolean): void }).toBe(true);
    }
  }
  return result;
}

/** Declare a load scenario as a Vitest test (its thresholds are checked now, at import). */
export function loadTest(name: string, spec: LoadTestSpec): void {
  compileThresholds(spec.thresholds);
  installMatchers(); // also without the plugin's setup file
  test(spec.title ? `${name}: ${spec.title}` : name, async (context) => {
    await runLoadTest(name, spec, context, expect as unknown as SoftExpect);
  });
}

/** `count` (at least one) stream names of one run: load/<run>/<i>. */
function streamNames(run: string, count: number): string[] {
  return Array.from({ length: Math.max(1, count) }, (_, i) => `load/${run}/${i}`);
}
