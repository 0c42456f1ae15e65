// Type tests of the public API (checked by `npm run typecheck`, not run): the plugin and
// its options, the target shapes, the declarative scenario API, and what the package adds
// to Vitest's types (`declare module 'vitest'`: matchers, provided context).
import { expect, expectTypeOf, inject } from 'vitest';
import type { Vite } from 'vitest/node';
import { closed, defineKnobs, loadTest, type open, subscribers } from '../../src/load/index.js';
import type {
  ConduitLoad,
  ConduitTarget,
  OpContext,
  ScenarioResult,
  ThresholdSpec,
  WorkloadSpec,
} from '../../src/load/index.js';
import ConduitLoadReporter from '../../src/reporters/index.js';
import type { ConduitLoadReporterOptions } from '../../src/reporters/index.js';
import { conduitGateway, conduitLoad } from '../../src/vitest/index.js';
import type { ConduitLoadOptions, TargetOptions } from '../../src/vitest/index.js';

// --- The plugin ---
expectTypeOf(conduitLoad).returns.toEqualTypeOf<Vite.Plugin>();
expectTypeOf<ConduitLoadOptions['reporter']>().toEqualTypeOf<Partial<ConduitLoadReporterOptions> | false | undefined>();
conduitLoad({
  target: {
    command: 'node server.mjs',
    env: { PORT: 8080, DEBUG: undefined },
    url: 'http://127.0.0.1:8080',
    ready: /listening/,
  },
});
conduitLoad({ target: { url: 'http://127.0.0.1:8080', pid: 123 }, reporter: { outDir: 'out' }, durationS: 30 });
conduitLoad({ target: conduitGateway({ inspect: false }) });
// @ts-expect-error an unknown option
conduitLoad({ tagret: { url: 'http://127.0.0.1:1' } });
// @ts-expect-error a command target needs its url
const noUrl: TargetOptions = { command: 'node server.mjs' };
// @ts-expect-error the reporter's options are checked too
conduitLoad({ target: { url: 'http://127.0.0.1:1' }, reporter: { outdir: 'x' } });
expectTypeOf(new ConduitLoadReporter({})).toHaveProperty('onTestRunEnd');

// --- What the package adds to Vitest ---
expectTypeOf(inject('conduitTarget')).toEqualTypeOf<ConduitTarget>();
declare const result: ScenarioResult;
expectTypeOf(expect(result).toHaveLatencyPercentileBelow).parameters.toEqualTypeOf<[string, number, number]>();
expectTypeOf(expect(result).toHaveErrorRateBelow).toBeFunction();
expectTypeOf(expect(result).toHaveNoLostMessages).toBeFunction();

// --- Declared scenarios ---
const k = defineKnobs('CONDUIT_T', { clients: 10, rate: 0.5, on: true, sizes: '1KB' });
expectTypeOf(k).toEqualTypeOf<{
  readonly clients: number;
  readonly rate: number;
  readonly on: boolean;
  readonly sizes: string;
}>();
// @ts-expect-error fractions names knobs of this object only
defineKnobs('CONDUIT_T', { clients: 10 }, { fractions: ['other'] });
expectTypeOf(closed).returns.toEqualTypeOf<WorkloadSpec>();
expectTypeOf<Parameters<typeof open>[0]['op']>().parameters.toEqualTypeOf<[ConduitLoad, OpContext]>();
expectTypeOf<ThresholdSpec>().toEqualTypeOf<Readonly<Record<string, string | number>>>();
loadTest('typed', {
  durationS: 5,
  workloads: ({ streams }) => ({
    ws: subscribers({ count: 1, streams: streams(1) }),
    get: closed({ clients: 1, op: (c) => c.stats('s') }),
  }),
  thresholds: { errorRate: '< 1%', lost: 0 },
  after: () => [],
});
void noUrl;
