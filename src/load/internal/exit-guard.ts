// A child the harness started must not outlive the run: Ctrl-C (SIGINT), a SIGTERM to
// the Vitest process (a CI timeout) and an abrupt exit stop it too, not only teardown.
import type { ChildTarget } from './child-target.js';

/** Watch the process for signals and exit while `child` runs; returns the release. */
export function guardChild(child: ChildTarget, stopDeadlineMs = 5000): () => void {
  const onSignal = () => void child.stop(stopDeadlineMs);
  const onExit = () => child.killNow();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  };
}
