// The reloadable configuration: env settings (fixed for the process) plus the YAML file
// (re-read on SIGHUP or POST /v1/admin/reload). A reload builds a complete new
// ResolvedConfig and swaps it in one assignment, so a request sees either the old or
// the new config, never a mix. An invalid file keeps the old config in force and the
// problems are reported by status() (shown in GET /health).
import type { Logger } from 'pino';
import type { ConfigHolder, ReloadStatus } from '../context.js';
import { openModeProblem } from '../plugins/auth-check.js';
import type { EnvSettings } from './env.js';
import { loadFileConfig } from './file.js';
import { resolveConfig, type ResolvedConfig } from './resolved.js';

export const DEFAULT_CONFIG_PATH = 'config/conduit.yaml';

export class ConfigLoadError extends Error {
  readonly problems: string[];
  constructor(path: string, problems: string[]) {
    super(`invalid configuration (${path}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigLoadError';
    this.problems = problems;
  }
}

export interface ConfigHolderOptions {
  env: EnvSettings;
  /** The YAML path; default env.CONDUIT_CONFIG. */
  path?: string;
  /** A missing file is an empty config. Default: true only for the default path. */
  optional?: boolean;
  logger?: Logger;
}

/** Load, validate and resolve: the config, or every problem (including open mode on a public bind). */
export async function loadResolved(
  env: EnvSettings,
  path: string,
  optional: boolean,
): Promise<{ ok: true; config: ResolvedConfig } | { ok: false; problems: string[] }> {
  const check = await loadFileConfig(path, { optional });
  if (!check.ok) return { ok: false, problems: check.problems.map((p) => (p.startsWith(path) ? p : `${path}: ${p}`)) };
  const config = resolveConfig(check.config, env);
  const problem = openModeProblem(config, env.CONDUIT_BIND);
  if (problem) return { ok: false, problems: [problem] };
  return { ok: true, config };
}

/** Load the file once (throws ConfigLoadError listing every problem) and return a holder. */
export async function createConfigHolder(opts: ConfigHolderOptions): Promise<ConfigHolder> {
  const { env, logger } = opts;
  const path = opts.path ?? env.CONDUIT_CONFIG;
  const optional = opts.optional ?? path === DEFAULT_CONFIG_PATH;
  const first = await loadResolved(env, path, optional);
  if (!first.ok) throw new ConfigLoadError(path, first.problems);

  let current = first.config;
  let status: ReloadStatus = { status: 'ok', at: new Date().toISOString() };
  // Reloads are serialised: a second SIGHUP during a reload waits for the first.
  let pending: Promise<ReloadStatus> = Promise.resolve(status);

  const reloadOnce = async (): Promise<ReloadStatus> => {
    const next = await loadResolved(env, path, optional);
    const at = new Date().toISOString();
    if (next.ok) {
      current = next.config;
      status = { status: 'ok', at };
      logger?.info(
        { event: 'config.reload', status: 'ok', tenants: next.config.tenants.size },
        'configuration reloaded',
      );
    } else {
      status = { status: 'failed', at, errors: next.problems };
      logger?.error(
        { event: 'config.reload', status: 'failed', errors: next.problems },
        'configuration reload failed; keeping the previous configuration',
      );
    }
    return status;
  };

  return {
    current: () => current,
    status: () => status,
    reload() {
      pending = pending.then(reloadOnce, reloadOnce);
      return pending;
    },
  };
}
