import { defineConfig } from 'vitest/config';
import { conduitGateway, conduitLoad } from './src/vitest/index.js';

// Load, WebSocket and soak scenarios (`npm run load`, `npm run load:soak`). The plugin
// starts the gateway as a child process on port 0 (or uses CONDUIT_TARGET_URL) and stops
// it in teardown, runs one scenario file at a time in forks, derives the test timeout
// from the longest scenario (CONDUIT_LOAD_DURATION_S, CONDUIT_SOAK_DURATION_MIN) and adds
// the Conduit reporter and the threshold matchers.
const ciJson = process.env.CONDUIT_CI_JSON;

export default defineConfig({
  plugins: [
    conduitLoad({
      target: conduitGateway(),
      // The soak's default is 15 minutes: its timeout holds when CONDUIT_SOAK_DURATION_MIN is unset.
      durationS: Math.max(
        Number(process.env.CONDUIT_LOAD_DURATION_S || 60),
        Number(process.env.CONDUIT_SOAK_DURATION_MIN || 15) * 60,
      ),
    }),
  ],
  test: {
    include: ['test-load/**/*.load.ts'],
    // CI asks for Vitest's JSON report too (for its "N passed, N failed" line), without
    // replacing the reporters as a CLI --reporter would.
    ...(ciJson ? { reporters: ['default', ['json', { outputFile: ciJson }]] } : {}),
  },
});
