// The generator's forks start with GENERATOR_NODE_FLAGS: the young generation fixed at its
// cap from the start (src/load/node-flags.ts), so the generator's RSS does not grow
// minutes into a run. Checked in a child started as the load config starts its forks.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import config from '../../vitest.load.config.js';
import { GENERATOR_NODE_FLAGS } from '../../src/load/index.js';

describe('GENERATOR_NODE_FLAGS', () => {
  it('are the load config’s execArgv', () => {
    expect(config.test?.execArgv).toEqual([...GENERATOR_NODE_FLAGS]);
  });

  it('give a process its full young generation from the start', () => {
    const newSpace = (flags: readonly string[]) =>
      Number(execFileSync(process.execPath, [...flags, '-p', "require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size"], { encoding: 'utf8' }));
    const MiB = 1024 * 1024;
    expect(newSpace(GENERATOR_NODE_FLAGS)).toBeGreaterThanOrEqual(16 * MiB);
    // Without them V8 starts small and grows it under load.
    expect(newSpace([])).toBeLessThan(16 * MiB);
  });
});
