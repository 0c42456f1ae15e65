// conduitLoad()'s options: checked when the config loads, one error naming the option;
// the test defaults it adds leave every value the user set alone.
import { describe, expect, it } from 'vitest';
import { conduitGateway, conduitLoad, ConduitPluginError } from '../../src/vitest/index.js';
import { defaultDurationS, resolveOptions } from '../../src/vitest/options.js';
import { GLOBAL_SETUP_FILE, MATCHERS_SETUP_FILE, REPORTER_FILE, testDefaults } from '../../src/vitest/plugin.js';

const target = { command: 'node server.mjs', url: 'http://127.0.0.1:8080' };

function problem(options: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    resolveOptions(options, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConduitPluginError);
    expect((error as ConduitPluginError).code).toBe('PLUGIN_OPTIONS');
    return (error as Error).message;
  }
  throw new Error('expected a PLUGIN_OPTIONS error');
}

describe('conduitLoad options', () => {
  it('an unknown option is one error naming it (with a near match) and the known ones', () => {
    expect(() => conduitLoad({ tagret: target } as never)).toThrow(ConduitPluginError);
    expect(problem({ tagret: target })).toBe(
      'conduitLoad: unknown option "tagret" (did you mean "target"?); known options: target, reporter, durationS, slackS, matchers',
    );
    expect(problem({ target, reporter: { outdir: 'x' } })).toMatch(
      /unknown option reporter\.outdir \(did you mean "outDir"\?\)/,
    );
  });

  it('a target with neither command nor url, or no target at all, is a clear error', () => {
    expect(problem({ target: { env: { PORT: 1 } } })).toMatch(/^conduitLoad: target needs `command` and `url`/);
    expect(problem({})).toMatch(/no target: give `target`.*or set CONDUIT_TARGET_URL/);
    expect(resolveOptions({}, { CONDUIT_TARGET_URL: 'http://127.0.0.1:1' }).target).toBeNull();
  });

  it('names malformed values', () => {
    expect(problem({ target, durationS: '60' })).toMatch(/durationS must be a positive number of seconds/);
    expect(problem({ target, matchers: 'yes' })).toMatch(/matchers must be true or false/);
    expect(problem({ target, reporter: 'html' })).toMatch(/reporter must be the reporter's options/);
  });

  it('resolves the target once, frozen, and the duration from the environment', () => {
    const resolved = resolveOptions({ target: conduitGateway({ inspect: false }) }, {});
    expect(resolved.target).toEqual({ kind: 'gateway', inspect: false });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(defaultDurationS({})).toBe(60);
    expect(defaultDurationS({ CONDUIT_LOAD_DURATION_S: '5', CONDUIT_SOAK_DURATION_MIN: '0.5' })).toBe(30);
  });
});

describe('test defaults', () => {
  it('adds the forks pool, one file at a time, derived timeouts, setup files and the reporter', () => {
    const config = testDefaults(resolveOptions({ target, durationS: 20, slackS: 10, reporter: { outDir: 'out' } }, {}));
    expect(config).toMatchObject({
      pool: 'forks',
      fileParallelism: false,
      maxWorkers: 1,
      testTimeout: 30_000,
      globalSetup: [GLOBAL_SETUP_FILE],
      setupFiles: [MATCHERS_SETUP_FILE],
      reporters: [['default'], [REPORTER_FILE, { outDir: 'out' }]],
    });
    expect(GLOBAL_SETUP_FILE).toMatch(/src\/vitest\/global-setup\.ts$/);
    expect(REPORTER_FILE).toMatch(/src\/reporters\/ConduitLoadReporter\.ts$/);
  });

  it("keeps the user's own values, and adds the reporter after the user's reporters", () => {
    const config = testDefaults(resolveOptions({ target, matchers: false }, {}), {
      testTimeout: 5000,
      pool: 'threads',
      include: ['load/**/*.load.ts'],
      reporters: ['verbose'],
    });
    expect(config.testTimeout).toBeUndefined();
    expect(config.pool).toBeUndefined();
    expect(config.include).toBeUndefined();
    expect(config.setupFiles).toBeUndefined();
    expect(config.reporters).toEqual([[REPORTER_FILE, {}]]);
    expect(testDefaults(resolveOptions({ target, reporter: false }, {})).reporters).toBeUndefined();
  });
});
