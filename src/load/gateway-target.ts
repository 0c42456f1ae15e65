// The Conduit gateway preset of a managed target: the gateway as a CHILD PROCESS (its
// memory is its own, not Vitest's) on port 0 with memwatch and its inspector on; it
// announces its real addresses (IPC or a stdout line) and is stopped with SIGTERM, a
// wait for its drain, then SIGKILL after a deadline — also after failures, on Ctrl-C and
// on exit. The Vitest global setup (src/vitest/global-setup.ts) starts it for
// `conduitLoad({ target: conduitGateway() })`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildTarget } from './internal/child-target.js';
import type { ExitInfo } from './internal/child-target.js';
import { guardChild } from './internal/exit-guard.js';
import { gatewayCommand } from './internal/gateway-command.js';
import type { GatewayRunner } from './internal/gateway-command.js';
import { envBool } from './knobs.js';
import type { ConduitTarget } from './target.js';

export interface ManagedGatewayOptions {
  /** The run's root: the gateway's working directory, and where `reports/` goes. */
  root: string;
  /**
   * Where the gateway's code is (`dist/gateway/cli.js`, or `src/` to build or run with tsx).
   * @default this package's root
   */
  packageRoot?: string;
  env?: NodeJS.ProcessEnv;
  runner?: GatewayRunner;
  /** Explicit command (tests use a fixture); overrides `runner`. */
  command?: { command: string; args: string[] };
  readyTimeoutMs?: number;
  logFile?: string;
  /**
   * Start the gateway with its inspector on a random loopback port (`--inspect=127.0.0.1:0`),
   * so the harness can force post-GC heap readings on its own cadence and profile what
   * grows. A custom command gets no flag added; its own --inspect is still picked up.
   * @default CONDUIT_GATEWAY_INSPECT, true when unset
   */
  inspect?: boolean;
}

export interface ManagedGateway {
  target: ConduitTarget;
  note: string;
  stop(): Promise<ExitInfo>;
}

/** Gateway settings the harness changes for a managed run, unless the user set them. */
export function managedGatewayEnv(base: NodeJS.ProcessEnv, blobDir: string): NodeJS.ProcessEnv {
  const keep = (name: string, value: string) => (base[name] !== undefined && base[name] !== '' ? base[name] : value);
  return {
    ...base,
    CONDUIT_HTTP_PORT: '0',
    CONDUIT_WS_PORT: '0',
    CONDUIT_BIND: '127.0.0.1',
    CONDUIT_MEMWATCH: 'true',
    CONDUIT_BLOB_LOCAL_DIR: keep('CONDUIT_BLOB_LOCAL_DIR', blobDir),
    // All load comes from one address: a per-IP cap of 10 would reject 90 of 100 simulated clients.
    CONDUIT_MAX_CONCURRENT_UPLOADS_PER_IP: keep('CONDUIT_MAX_CONCURRENT_UPLOADS_PER_IP', '1000'),
    CONDUIT_DRAIN_TIMEOUT_MS: keep('CONDUIT_DRAIN_TIMEOUT_MS', '10000'),
    CONDUIT_LOG_LEVEL: keep('CONDUIT_LOG_LEVEL', 'warn'),
    // Node options for the gateway alone (e.g. an --import preload), never for Vitest.
    ...(base.CONDUIT_GATEWAY_NODE_OPTIONS?.trim()
      ? { NODE_OPTIONS: [base.NODE_OPTIONS, base.CONDUIT_GATEWAY_NODE_OPTIONS].filter((x) => x?.trim()).join(' ') }
      : {}),
  };
}

/**
 * The gateway's Node flags, read through its public index only when a gateway is started:
 * the index loads Fastify and the blob backends, which a run against another service never needs.
 */
async function gatewayNodeFlags(): Promise<readonly string[]> {
  return (await import('../gateway/index.js')).GATEWAY_NODE_FLAGS;
}

/** This package's root: src/load/ and dist/load/ are both two levels below it. */
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Inspector flag for the managed gateway, unless turned off. */
export const MANAGED_INSPECT_FLAG = '--inspect=127.0.0.1:0';

export async function startManagedGateway(options: ManagedGatewayOptions): Promise<ManagedGateway> {
  const env = options.env ?? process.env;
  const blobDir = mkdtempSync(join(tmpdir(), 'conduit-load-blobs-'));
  const chosen = options.command
    ? { ...options.command, note: 'custom command' }
    : gatewayCommand(
        options.packageRoot ?? PACKAGE_ROOT,
        options.runner ?? ((env.CONDUIT_GATEWAY_RUNNER as GatewayRunner) || 'auto'),
        await gatewayNodeFlags(),
      );
  const inspect = options.inspect ?? envBool('CONDUIT_GATEWAY_INSPECT', true, env);
  const addFlag = inspect && !options.command && chosen.command === process.execPath;
  const args = addFlag ? [MANAGED_INSPECT_FLAG, ...chosen.args] : chosen.args;
  const logFile = options.logFile ?? join(options.root, 'reports', 'load-gateway.out.log');
  const cleanup = () => rmSync(blobDir, { recursive: true, force: true });
  let child;
  try {
    child = await startChildTarget({
      command: chosen.command,
      args,
      cwd: options.root,
      env: managedGatewayEnv(env, blobDir),
      readyTimeoutMs: options.readyTimeoutMs ?? Number(env.CONDUIT_GATEWAY_READY_TIMEOUT_MS || 60_000),
      logFile,
    });
  } catch (error) {
    cleanup();
    throw error;
  }
  const { ready } = child;
  const asked = addFlag || args.some((a) => a.startsWith('--inspect'));
  const inspector = asked ? await child.inspectorUrl(2000) : undefined;

  // Ctrl-C and abrupt exits must not leave the gateway behind.
  const release = guardChild(child);

  const drainMs = Number(env.CONDUIT_DRAIN_TIMEOUT_MS || 10_000);
  return {
    note: chosen.note,
    target: {
      httpUrl: ready.httpUrl,
      wsUrl: ready.wsUrl,
      pid: ready.pid,
      metricsUrl: `${ready.httpUrl}/v1/metrics`,
      ...(inspector ? { inspector } : {}),
      managed: true,
      logFile,
    },
    async stop() {
      try {
        return await child.stop(drainMs + 5000);
      } finally {
        release();
        cleanup();
      }
    },
  };
}
