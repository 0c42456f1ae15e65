// Pure token checks: which tenant a request's token belongs to, and whether it is the
// admin token. The Fastify hook (auth.ts) calls these; tests call them directly.
import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../errors.js';
import { DEFAULT_TENANT, type ResolvedConfig, type Tenant } from '../config/resolved.js';

type Headers = Record<string, string | string[] | undefined>;
type Query = Record<string, unknown> | undefined;

export type AuthResult = { ok: true; tenant: Tenant } | { ok: false; error: GatewayError };

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Strip HTTP optional whitespace (SP / HTAB) only — not JavaScript's wider trim() set. */
function stripOws(v: string): string {
  return v.replace(/^[ \t]+|[ \t]+$/g, '');
}

/**
 * The token of a request: `Authorization: Bearer T`, else `x-token: T`, else (only when
 * `query` is given — the WebSocket route passes it for browsers) `?token=T`.
 */
export function tokenFrom(headers: Headers, query?: Query): string | undefined {
  const authz = first(headers.authorization);
  if (authz) {
    // Only HTTP's optional whitespace (SP / HTAB) separates or surrounds the token: any
    // other character, a non-breaking space included, is part of it and must match.
    const m = /^Bearer[ \t]+([^ \t]+)[ \t]*$/i.exec(authz);
    if (m) return m[1];
  }
  const x = first(headers['x-token']);
  if (x) return stripOws(x) || undefined;
  const q = query?.token;
  if (typeof q === 'string' && q !== '') return q;
  return undefined;
}

/**
 * Authenticate a tenant request. Open mode (no token configured anywhere): every
 * request is tenant `default`. Otherwise a missing or unknown token is 401.
 * Pass `query` only where `?token=` is accepted (GET /v1/subscribe).
 */
export function authenticate(headers: Headers, query: Query, config: ResolvedConfig): AuthResult {
  if (config.open) {
    const tenant = config.tenants.get(DEFAULT_TENANT);
    if (tenant) return { ok: true, tenant };
  }
  const token = tokenFrom(headers, query);
  if (token === undefined) {
    return { ok: false, error: new GatewayError('UNAUTHORIZED', 'A token is required (Authorization: Bearer TOKEN)') };
  }
  const tenant = config.tenantForToken(token);
  if (!tenant) return { ok: false, error: new GatewayError('UNAUTHORIZED', 'Unknown token') };
  return { ok: true, tenant };
}

function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/**
 * Admin routes need CONDUIT_ADMIN_TOKEN. Unset → 403 (the admin API is off);
 * no token or an unknown one → 401; a tenant's token → 403.
 * Returns undefined when allowed, else the error to send.
 */
export function checkAdmin(headers: Headers, config: ResolvedConfig): GatewayError | undefined {
  const admin = config.env.CONDUIT_ADMIN_TOKEN;
  if (admin === undefined) {
    return new GatewayError('FORBIDDEN', 'The admin API is disabled: set CONDUIT_ADMIN_TOKEN');
  }
  const token = tokenFrom(headers);
  if (token === undefined) return new GatewayError('UNAUTHORIZED', 'The admin token is required');
  if (sameSecret(token, admin)) return undefined;
  if (config.tenantForToken(token)) return new GatewayError('FORBIDDEN', 'A tenant token cannot use the admin API');
  return new GatewayError('UNAUTHORIZED', 'Unknown token');
}

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|::1|localhost|::ffff:127(?:\.\d{1,3}){3})$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host.replace(/^\[|\]$/g, ''));
}

/** Why this config may not serve on `bind`, or undefined when it may (open mode is loopback-only). */
export function openModeProblem(config: ResolvedConfig, bind: string): string | undefined {
  if (config.open && !isLoopback(bind)) {
    return `no tokens are configured, so the gateway would be open to anyone: refusing to bind ${bind}. Configure tenants (CONDUIT_CONFIG) or CONDUIT_TOKENS, or bind 127.0.0.1`;
  }
  return undefined;
}
