// The service under load. The global setup provides it (`inject('conduitTarget')`);
// outside that setup the same environment variables describe an external target.
import { inject } from 'vitest';
import { LoadError } from './errors.js';

export interface ConduitTarget {
  httpUrl: string;
  wsUrl: string;
  /** Target pid, for RSS from /proc (same machine only). */
  pid?: number;
  /** JSON metrics endpoint with `process.rssBytes` etc. (Conduit: /v1/metrics). */
  metricsUrl?: string;
  /** Bearer token for the target's API. */
  token?: string;
  /**
   * The target's Node.js inspector (`--inspect`): a ws:// debugger URL or host:port on
   * loopback. With it the harness takes post-GC heap readings on its own cadence and
   * can say which allocation sites grow.
   */
  inspector?: string;
  /** True when the global setup started (and will stop) the target. */
  managed: boolean;
  /** Where the managed target writes its stdout/stderr. */
  logFile?: string;
}

declare module 'vitest' {
  interface ProvidedContext {
    conduitTarget: ConduitTarget;
  }
}

/** Describe an external target from CONDUIT_TARGET_* variables, or undefined when CONDUIT_TARGET_URL is unset. */
export function externalTarget(env: NodeJS.ProcessEnv = process.env): ConduitTarget | undefined {
  const url = env.CONDUIT_TARGET_URL;
  if (!url) return undefined;
  const httpUrl = new URL(url).origin;
  const pid = env.CONDUIT_TARGET_PID ? Number(env.CONDUIT_TARGET_PID) : undefined;
  if (pid !== undefined && !(Number.isInteger(pid) && pid > 0)) {
    throw new Error(`CONDUIT_TARGET_PID must be a positive integer, got ${JSON.stringify(env.CONDUIT_TARGET_PID)}`);
  }
  return {
    httpUrl,
    wsUrl: env.CONDUIT_TARGET_WS_URL ? new URL(env.CONDUIT_TARGET_WS_URL).origin : httpUrl.replace(/^http/, 'ws'),
    ...(pid ? { pid } : {}),
    metricsUrl: env.CONDUIT_TARGET_METRICS_URL || `${httpUrl}/v1/metrics`,
    ...(env.CONDUIT_TARGET_TOKEN ? { token: env.CONDUIT_TARGET_TOKEN } : {}),
    ...(env.CONDUIT_TARGET_INSPECT ? { inspector: env.CONDUIT_TARGET_INSPECT.trim() } : {}),
    managed: false,
  };
}

/** The target for this test file: provided by the global setup, else from the environment. */
export function getTarget(): ConduitTarget {
  let provided: ConduitTarget | undefined;
  try {
    provided = inject('conduitTarget');
  } catch {
    provided = undefined;
  }
  const target = provided ?? externalTarget();
  if (!target) {
    throw new LoadError(
      'NO_TARGET',
      'no load target: run with a config that uses conduitLoad({ target }) (its global setup starts or describes the target) or set CONDUIT_TARGET_URL',
    );
  }
  return target;
}
