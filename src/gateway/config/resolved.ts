// The runtime view of configuration: env settings + the validated file, resolved into
// lookups the gateway uses on every request (token → tenant, stream → rule). Frozen;
// a reload builds a new one and swaps it atomically (see ConfigHolder).
import type { EnvSettings } from './env.js';
import type { FileConfig, StreamRule, TenantLimits } from './file.js';

export const DEFAULT_TENANT = 'default';

export interface Tenant {
  readonly name: string;
  readonly limits: Readonly<Required<TenantLimits>>;
}

export interface StreamPolicy {
  readonly maxAttempts: number;
  readonly ackTimeoutMs: number;
  readonly maxDepth: number;
}

export interface ResolvedConfig {
  readonly env: EnvSettings;
  readonly file: FileConfig;
  /** True when no token is configured anywhere: every request is tenant `default`. */
  readonly open: boolean;
  readonly tenants: ReadonlyMap<string, Tenant>;
  /** Tenant name for a token, or undefined. */
  tenantForToken(token: string): Tenant | undefined;
  /** The rule for a stream name: the first matching glob in file order, over env defaults. */
  streamPolicy(stream: string): StreamPolicy;
}

/** `*` = any run of characters, `?` = one character; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function resolveConfig(file: FileConfig, env: EnvSettings): ResolvedConfig {
  const defaults: Required<TenantLimits> = {
    rateLimit: env.CONDUIT_RATE_LIMIT,
    maxConcurrentUploads: env.CONDUIT_MAX_CONCURRENT_UPLOADS_PER_TENANT,
    maxUploadSize: env.CONDUIT_MAX_UPLOAD_SIZE,
    maxConnections: env.CONDUIT_WS_MAX_CONNECTIONS,
  };
  const tenants = new Map<string, Tenant>();
  const tokens = new Map<string, Tenant>();
  const add = (name: string, limits: TenantLimits, tenantTokens: readonly string[]) => {
    const existing = tenants.get(name);
    const tenant: Tenant = existing ?? Object.freeze({ name, limits: Object.freeze({ ...defaults, ...limits }) });
    tenants.set(name, tenant);
    for (const t of tenantTokens) tokens.set(t, tenant);
  };
  for (const [name, spec] of Object.entries(file.tenants)) add(name, spec.limits, spec.tokens);
  if (env.CONDUIT_TOKENS.length) add(DEFAULT_TENANT, {}, env.CONDUIT_TOKENS);
  const open = tokens.size === 0;
  if (open) add(DEFAULT_TENANT, {}, []);

  const rules: Array<{ re: RegExp; rule: StreamRule }> = Object.entries(file.streams).map(([glob, rule]) => ({
    re: globToRegExp(glob),
    rule,
  }));
  const basePolicy: StreamPolicy = {
    maxAttempts: env.CONDUIT_MAX_ATTEMPTS,
    ackTimeoutMs: env.CONDUIT_ACK_TIMEOUT_MS,
    maxDepth: env.CONDUIT_STREAM_MAX_DEPTH,
  };
  const policyCache = new Map<string, StreamPolicy>();

  return Object.freeze({
    env,
    file,
    open,
    tenants,
    tenantForToken: (token: string) => tokens.get(token),
    streamPolicy(stream: string): StreamPolicy {
      let policy = policyCache.get(stream);
      if (policy) return policy;
      const match = rules.find((r) => r.re.test(stream));
      policy = Object.freeze({ ...basePolicy, ...(match?.rule ?? {}) });
      if (policyCache.size < 10_000) policyCache.set(stream, policy);
      return policy;
    },
  });
}
