// conduitLoad(options): the Vite plugin that makes a Vitest config a load-test config in
// one line, the way @codspeed/vitest-plugin installs itself. It
// - checks its options when the config loads (one error naming a bad option, before any load);
// - adds test defaults in Vite's `config` hook, where a user's own value and a CLI flag
//   still win: the forks pool (the memwatch addon crashes thread pools) started with
//   GENERATOR_NODE_FLAGS (src/load/node-flags.ts), one scenario file
//   at a time (scenarios never load the target together), a test timeout derived from the
//   longest scenario, the global setup that starts and stops the target, the matchers'
//   setup file, and the Conduit reporter with its options (tuple form; a CLI --reporter
//   replaces the config's reporters, as with any Vitest reporter);
// - hands the checked target to the global setup in Vitest's `configureVitest` hook
//   (provide), and warns when a CLI flag or another plugin undid the pool or the one-file rule.
import { fileURLToPath } from 'node:url';
// 'vitest/config' augments Vite's UserConfig with `test` and Plugin with `configureVitest`.
import type {} from 'vitest/config';
import type { Vite } from 'vitest/node';
import { GENERATOR_NODE_FLAGS } from '../load/index.js';
import { PROVIDE_KEY, resolveOptions } from './options.js';
import type { ConduitLoadOptions, ResolvedOptions } from './options.js';

/** A file of this folder, as it is here: `.ts` when run from the sources, `.js` when built. */
function sibling(name: string): string {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`./${name}.${ext}`, import.meta.url));
}

export const GLOBAL_SETUP_FILE = sibling('global-setup');
export const MATCHERS_SETUP_FILE = sibling('setup-matchers');
export const REPORTER_FILE = fileURLToPath(
  new URL(`../reporters/ConduitLoadReporter.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url),
);

type TestConfig = NonNullable<Vite.UserConfig['test']>;

/** The test options the plugin adds, given what the user's config already sets. */
export function testDefaults(options: ResolvedOptions, user: TestConfig = {}): TestConfig {
  const unset = (key: keyof TestConfig) => user[key] === undefined;
  const config: TestConfig = {
    globalSetup: [GLOBAL_SETUP_FILE],
    ...(options.matchers ? { setupFiles: [MATCHERS_SETUP_FILE] } : {}),
  };
  if (unset('include')) config.include = ['**/*.load.?(c|m)[jt]s'];
  if (unset('pool')) config.pool = 'forks';
  // The generator's young generation fixed at its cap, so its RSS does not grow minutes into a run.
  if (unset('execArgv')) config.execArgv = [...GENERATOR_NODE_FLAGS];
  if (unset('fileParallelism')) config.fileParallelism = false;
  if (unset('maxWorkers')) config.maxWorkers = 1;
  if (unset('testTimeout')) config.testTimeout = Math.ceil((options.durationS + options.slackS) * 1000);
  if (unset('hookTimeout')) config.hookTimeout = 120_000;
  if (unset('teardownTimeout')) config.teardownTimeout = 60_000;
  if (options.reporter !== false) {
    const conduit = [REPORTER_FILE, { ...options.reporter }] as [string, Record<string, unknown>];
    // Vite concatenates arrays: the user's reporters stay, ours is added; with none, Vitest's default stays too.
    config.reporters = unset('reporters') ? [['default'], conduit] : [conduit];
  }
  return config;
}

export function conduitLoad(options?: ConduitLoadOptions): Vite.Plugin {
  const resolved = resolveOptions(options);
  return {
    name: 'conduit:load',
    config(user) {
      return { test: testDefaults(resolved, user.test) };
    },
    configureVitest({ project, vitest }) {
      project.provide(PROVIDE_KEY, { target: resolved.target });
      const config = project.config;
      if (config.pool !== 'forks') {
        vitest.logger.warn(
          `conduit: pool '${config.pool}' instead of 'forks': native addons such as memwatch crash thread pools`,
        );
      }
      if (config.maxWorkers > 1) {
        vitest.logger.warn(`conduit: ${config.maxWorkers} scenario files may run at once and load the target together`);
      }
    },
  };
}
