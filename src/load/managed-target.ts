// Starting the target a run describes (a TargetSpec, see target-spec.ts) and stopping it
// at the end, whatever happened: a command is started as a child process (ready when its
// URL answers HTTP or a line of its output matches; memory read from its pid), the
// Conduit gateway through its preset, and a running service is only described.
import { isAbsolute, resolve } from 'node:path';
import { LoadError } from './errors.js';
import { startManagedGateway } from './gateway-target.js';
import { startChildTarget } from './internal/child-target.js';
import type { ExitInfo, ReadyCheck } from './internal/child-target.js';
import { guardChild } from './internal/exit-guard.js';
import type { CommandTargetSpec, TargetSpec } from './target-spec.js';
import type { ConduitTarget } from './target.js';

export interface RunningTarget {
  target: ConduitTarget;
  /** One line saying what runs where (printed by the global setup). */
  note: string;
  /**
   * Stop it (a no-op for a service the run did not start). Rejects with a LoadError
   * TARGET_UNCLEAN_EXIT when the target must exit 0 on SIGTERM (the gateway) and did not.
   */
  stop(): Promise<ExitInfo | undefined>;
}

export interface StartTargetOptions {
  /** The run's root (the Vitest root): relative `cwd` and `logFile` are resolved from it. */
  root: string;
  /** The environment the target inherits. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** Start (or describe) the target of a run. */
export async function startTarget(spec: TargetSpec, options: StartTargetOptions): Promise<RunningTarget> {
  const env = options.env ?? process.env;
  if (spec.kind === 'url') {
    const { kind: _kind, ...target } = spec;
    return {
      target: { ...target, managed: false },
      note: `target ${spec.httpUrl} (already running)`,
      stop: async () => undefined,
    };
  }
  if (spec.kind === 'gateway') return startGatewayPreset(spec, options.root, env);
  return startCommandTarget(spec, options.root, env);
}

async function startGatewayPreset(
  spec: Extract<TargetSpec, { kind: 'gateway' }>,
  root: string,
  env: NodeJS.ProcessEnv,
): Promise<RunningTarget> {
  const gateway = await startManagedGateway({
    root,
    env,
    ...(spec.runner ? { runner: spec.runner } : {}),
    ...(spec.inspect !== undefined ? { inspect: spec.inspect } : {}),
    ...(spec.readyTimeoutMs !== undefined ? { readyTimeoutMs: spec.readyTimeoutMs } : {}),
  });
  return {
    target: gateway.target,
    note: `gateway pid ${gateway.target.pid} at ${gateway.target.httpUrl} (${gateway.note}); log ${gateway.target.logFile}`,
    async stop() {
      const exit = await gateway.stop();
      // A gateway that does not drain and exit 0 on SIGTERM fails the run (clean shutdown is a pass criterion).
      if (exit.forced || exit.code !== 0) {
        throw new LoadError(
          'TARGET_UNCLEAN_EXIT',
          `conduit: the gateway did not shut down cleanly: exit ${exit.code ?? exit.signal}${exit.forced ? ' (SIGKILL after the drain deadline)' : ''}; see ${gateway.target.logFile}`,
        );
      }
      return exit;
    },
  };
}

/** The child's environment: the run's, with the spec's variables set (null removes one). */
export function commandEnv(base: NodeJS.ProcessEnv, overrides: Record<string, string | null>): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) delete env[key];
    else env[key] = value;
  }
  return env;
}

async function startCommandTarget(
  spec: CommandTargetSpec,
  root: string,
  env: NodeJS.ProcessEnv,
): Promise<RunningTarget> {
  const at = (path: string) => (isAbsolute(path) ? path : resolve(root, path));
  const logFile = at(spec.logFile);
  const ready: ReadyCheck = spec.ready
    ? {
        kind: 'pattern',
        pattern: new RegExp(spec.ready.source, spec.ready.flags),
        httpUrl: spec.httpUrl,
        wsUrl: spec.wsUrl,
      }
    : { kind: 'http', probeUrl: spec.url, httpUrl: spec.httpUrl, wsUrl: spec.wsUrl };
  const [command, ...args] = spec.argv;
  const child = await startChildTarget({
    command: command!,
    args,
    cwd: at(spec.cwd ?? '.'),
    env: commandEnv(env, spec.env),
    readyTimeoutMs: spec.readyTimeoutMs,
    logFile,
    ready,
  });
  const release = guardChild(child, spec.stopTimeoutMs);
  const pid = child.child.pid!;
  return {
    target: {
      httpUrl: child.ready.httpUrl,
      wsUrl: child.ready.wsUrl,
      pid,
      ...(spec.metricsUrl ? { metricsUrl: spec.metricsUrl } : {}),
      ...(spec.token ? { token: spec.token } : {}),
      ...(spec.inspector ? { inspector: spec.inspector } : {}),
      managed: true,
      logFile,
    },
    note: `target pid ${pid} at ${child.ready.httpUrl} (${spec.argv.join(' ')}); log ${logFile}`,
    async stop() {
      try {
        return await child.stop(spec.stopTimeoutMs);
      } finally {
        release();
      }
    },
  };
}
