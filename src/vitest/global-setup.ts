// The global setup conduitLoad() registers: it starts (or describes) the run's target
// before any scenario, provides it to the scenarios (`inject('conduitTarget')`, read by
// getTarget()) and stops it in teardown — after failures too; Ctrl-C and abrupt exits
// stop a started target as well (see src/load/managed-target.ts). CONDUIT_TARGET_URL
// (with CONDUIT_TARGET_PID, …) points the same run at an already running service instead.
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { externalTarget, LoadError, startTarget } from '../load/index.js';
import { PROVIDE_KEY } from './options.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = externalTarget(process.env);
  if (external) {
    process.stdout.write(`conduit: target ${external.httpUrl} (CONDUIT_TARGET_URL; already running)\n`);
    project.provide('conduitTarget', external);
    return async () => {};
  }
  const spec = project.getProvidedContext()[PROVIDE_KEY]?.target;
  if (!spec) {
    throw new LoadError(
      'NO_TARGET',
      'conduit: no target: give conduitLoad({ target }) in the Vitest config, or set CONDUIT_TARGET_URL',
    );
  }
  const running = await startTarget(spec, { root: resolve(project.config.root) });
  process.stdout.write(`conduit: ${running.note}\n`);
  project.provide('conduitTarget', running.target);
  return async () => {
    await running.stop();
  };
}
