import { defineConfig } from 'vitest/config';

// Unit + integration tests (`npm test`). Integration tests start real gateways on
// port 0 in this process, so the forks pool keeps native addons (memwatch) safe.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
});
