// The generator's forks start with GENERATOR_NODE_FLAGS: the young generation fixed at its
// cap from the start (src/load/node-flags.ts), so the generator's RSS does not grow
// minutes into a run. The plugin (conduitLoad) gives them to the forks as Vitest's execArgv.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { GENERATOR_NODE_FLAGS } from '../../src/load/index.js';
import { resolveOptions } from '../../src/vitest/options.js';
import { testDefaults } from '../../src/vitest/plugin.js';

describe('GENERATOR_NODE_FLAGS', () => {
  it('are the execArgv conduitLoad gives the forks, unless the user sets their own', () => {
    const options = resolveOptions({ target: { url: 'http://127.0.0.1:8080' } }, {});
    expect(testDefaults(options).execArgv).toEqual([...GENERATOR_NODE_FLAGS]);
    expect(testDefaults(options, { execArgv: ['--inspect'] }).execArgv).toBeUndefined();
  });

  it('give a process its full young generation from the start', () => {
    const newSpace = (flags: readonly string[]) =>
      Number(
        execFileSync(
          process.execPath,
          [
            ...flags,
            '-p',
            "require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size",
          ],
          { encoding: 'utf8' },
        ),
      );
    const MiB = 1024 * 1024;
    expect(newSpace(GENERATOR_NODE_FLAGS)).toBeGreaterThanOrEqual(16 * MiB);
    // Without them V8 starts small and grows it under load.
    expect(newSpace([])).toBeLessThan(16 * MiB);
  });
});
