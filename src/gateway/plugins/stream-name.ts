// Stream names and tenant scoping.
//
// A stream name is 1–200 characters of letters, digits and `. _ - / :`. Streams are
// scoped to the tenant of the token: tenant A's "orders" and tenant B's "orders" are
// different streams, and nothing a tenant sends can name another tenant's streams.
//
// A name may also be written tenant-qualified, `tenant:NAME/rest` (the `tenant:`
// prefix is reserved): with NAME = the caller's own tenant it is the same stream as
// `rest`; with any other tenant it is a cross-tenant access and answers 403 FORBIDDEN.
// This gives operators and multi-tenant tools one unambiguous spelling, and makes a
// misrouted token fail loudly instead of silently writing into its own namespace.
import { GatewayError } from '../errors.js';
import { TENANT_NAME } from '../config/file.js';

// `.dlq` may follow a full 200-character name: the dead-letter stream NAME.dlq of any
// valid NAME must be reachable (subscribe, stats).
export const STREAM_NAME = /^[A-Za-z0-9._\-/:]{1,200}(?:\.dlq)?$/;
const QUALIFIED_PREFIX = 'tenant:';

export function isValidStreamName(name: unknown): name is string {
  return typeof name === 'string' && STREAM_NAME.test(name);
}

/**
 * Validate `raw` and return the tenant-local stream name.
 * Throws GatewayError INVALID_STREAM_NAME (400) or FORBIDDEN (403, another tenant's stream).
 */
export function scopeStreamName(tenant: string, raw: unknown): string {
  if (!isValidStreamName(raw)) {
    throw new GatewayError('INVALID_STREAM_NAME');
  }
  if (!raw.startsWith(QUALIFIED_PREFIX)) return raw;
  const rest = raw.slice(QUALIFIED_PREFIX.length);
  const slash = rest.indexOf('/');
  const owner = slash > 0 ? rest.slice(0, slash) : '';
  const local = slash > 0 ? rest.slice(slash + 1) : '';
  if (!TENANT_NAME.test(owner) || local === '') {
    throw new GatewayError('INVALID_STREAM_NAME', 'Tenant-qualified stream names look like tenant:NAME/stream');
  }
  if (owner !== tenant) {
    throw new GatewayError('FORBIDDEN', 'The stream belongs to another tenant');
  }
  return scopeStreamName(tenant, local);
}
