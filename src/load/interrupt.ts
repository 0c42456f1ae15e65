// Interrupts of a load run, seen from the process running the scenario (a Vitest fork).
//
// A scenario must stop within a couple of seconds when the run is interrupted, not when
// its duration ends. Three things can say so:
// - the test's own `context.signal`, which Vitest aborts when the run is cancelled or the
//   test times out;
// - an explicit signal the caller passes;
// - the Vitest main process going away (Ctrl-C or a kill reaching the main process
//   only): the fork's IPC channel disconnects, nobody will read its results, and without
//   this it would keep loading the target — or the port it had — until the deadline.
// An orphaned fork also gets a bounded time to wind down, then exits.
import { setMaxListeners } from 'node:events';

export interface InterruptWatch {
  /** Aborted on the first interrupt; `reason` says which. */
  readonly signal: AbortSignal;
  /** Stop watching (always call it when the run ends). */
  dispose(): void;
}

export interface InterruptOptions {
  /** The process whose IPC disconnect means "the parent went away". @default process */
  proc?: NodeJS.Process;
  /** After a parent disconnect, exit this process if it is still alive so long after. @default 10000 */
  orphanExitMs?: number;
}

export function watchInterrupts(
  signals: ReadonlyArray<AbortSignal | undefined>,
  options: InterruptOptions = {},
): InterruptWatch {
  const proc = options.proc ?? process;
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const cleanups: Array<() => void> = [];
  const abort = (reason: unknown) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };

  for (const signal of signals) {
    if (!signal) continue;
    if (signal.aborted) abort(signal.reason ?? new Error('aborted'));
    const onAbort = () => abort(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => signal.removeEventListener('abort', onAbort));
  }

  // Only a child with an IPC channel (a Vitest fork) can be orphaned this way.
  if (typeof proc.send === 'function' && proc.connected) {
    const onDisconnect = () => {
      abort(new Error('interrupted: the Vitest main process went away'));
      const timer = setTimeout(() => proc.exit(130), options.orphanExitMs ?? 10_000);
      timer.unref();
    };
    proc.once('disconnect', onDisconnect);
    cleanups.push(() => proc.off('disconnect', onDisconnect));
  }

  return {
    signal: controller.signal,
    dispose: () => {
      for (const cleanup of cleanups.splice(0)) cleanup();
    },
  };
}
