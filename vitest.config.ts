import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Unit + integration tests (`npm test`). Integration tests start real gateways on
// port 0 in this process, so the forks pool keeps native addons (memwatch) safe.
// At least two files at a time: Vitest's default is one fewer than the cores, which is
// one on a 2-core runner, and most tests wait on sockets and child processes rather
// than compute (two workers: 134 s against 220 s here; it passes 10 runs in a row under
// two CPU hogs, `npm run test:under-load`).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
});
