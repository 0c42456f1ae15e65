import { defineConfig } from 'vitest/config';
import { GENERATOR_NODE_FLAGS } from './src/load/index.js';
import type { ConduitLoadReporterOptions } from './src/reporters/index.js';

// Load, WebSocket and soak scenarios (`npm run load`, `npm run load:soak`).
// The global setup starts the gateway as a child process on port 0 (or uses
// CONDUIT_TARGET_URL) and stops it in teardown. Scenarios run one file at a time so they
// never load the target together, in forks (memwatch crashes threads pools).
const soakMin = Number(process.env.CONDUIT_SOAK_DURATION_MIN || 15);
// CI asks for Vitest's JSON report too (for its "N passed, N failed" line), without
// replacing these reporters as a CLI --reporter would.
const ciJson = process.env.CONDUIT_CI_JSON;
const longestS = Math.max(Number(process.env.CONDUIT_LOAD_DURATION_S || 60), soakMin * 60);

export default defineConfig({
  test: {
    include: ['test-load/**/*.load.ts'],
    globalSetup: ['./src/load/global-setup.ts'],
    pool: 'forks',
    // The generator's young generation fixed at its cap, so its RSS does not grow minutes into a run.
    execArgv: [...GENERATOR_NODE_FLAGS],
    fileParallelism: false,
    maxWorkers: 1,
    // The longest scenario plus settling, shutdown checks and slack.
    testTimeout: (longestS + 180) * 1000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    // Tuple form: the reporter module path and its options (a CLI --reporter replaces these).
    reporters: [
      ['default'],
      ['./src/reporters/ConduitLoadReporter.ts', {} satisfies Partial<ConduitLoadReporterOptions>],
      ...(ciJson ? [['json', { outputFile: ciJson }] as [string, { outputFile: string }]] : []),
    ],
  },
});
