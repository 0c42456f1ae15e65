import { describe, expect, it } from 'vitest';
import { envDefaults } from '../../src/gateway/config/env.js';
import { resolveConfig } from '../../src/gateway/config/resolved.js';
import { validateFileConfig, type FileConfig } from '../../src/gateway/config/file.js';
import {
  authenticate,
  checkAdmin,
  isLoopback,
  openModeProblem,
  tokenFrom,
} from '../../src/gateway/plugins/auth-check.js';

function config(doc: unknown, env = envDefaults()) {
  const check = validateFileConfig(doc);
  if (!check.ok) throw new Error(check.problems.join('; '));
  return resolveConfig(check.config as FileConfig, env);
}
const twoTenants = { tenants: { acme: { tokens: ['acme-token-1'] }, globex: { tokens: ['globex-token-1'] } } };

describe('tokenFrom', () => {
  it('reads Bearer (any case), then x-token, then ?token= only when a query is given', () => {
    expect(tokenFrom({ authorization: 'Bearer abc' })).toBe('abc');
    expect(tokenFrom({ authorization: 'bearer   abc ' })).toBe('abc');
    expect(tokenFrom({ authorization: 'Basic abc' })).toBeUndefined();
    expect(tokenFrom({ 'x-token': 'xyz' })).toBe('xyz');
    expect(tokenFrom({ authorization: 'Bearer a', 'x-token': 'b' })).toBe('a');
    expect(tokenFrom({}, { token: 'q' })).toBe('q');
    expect(tokenFrom({}, { token: ['q'] })).toBeUndefined();
    expect(tokenFrom({})).toBeUndefined();
  });

  it('strips only HTTP optional whitespace (SP, HTAB): a non-breaking space is part of the token', () => {
    expect(tokenFrom({ authorization: 'Bearer abc\t' })).toBe('abc');
    expect(tokenFrom({ authorization: 'Bearer abc\u00a0' })).toBe('abc\u00a0');
    expect(tokenFrom({ 'x-token': ' xyz\t' })).toBe('xyz');
    expect(tokenFrom({ 'x-token': 'xyz\u00a0' })).toBe('xyz\u00a0');
  });
});

describe('authenticate', () => {
  it('maps tokens to tenants and rejects missing or unknown tokens with 401', () => {
    const c = config(twoTenants);
    const ok = authenticate({ authorization: 'Bearer globex-token-1' }, undefined, c);
    expect(ok).toMatchObject({ ok: true, tenant: { name: 'globex' } });
    const nbsp = [{ authorization: 'Bearer globex-token-1\u00a0' }, { 'x-token': '\u00a0globex-token-1' }];
    for (const headers of [{}, { authorization: 'Bearer nope' }, ...nbsp]) {
      const r = authenticate(headers, undefined, c);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('UNAUTHORIZED');
    }
    expect(authenticate({}, { token: 'acme-token-1' }, c)).toMatchObject({ ok: true, tenant: { name: 'acme' } });
  });

  it('open mode: everyone is tenant default', () => {
    expect(authenticate({}, undefined, config({}))).toMatchObject({ ok: true, tenant: { name: 'default' } });
  });

  it('carries tenant limits, with env defaults filled in', () => {
    const c = config(
      { tenants: { acme: { tokens: ['acme-token-1'], limits: { rateLimit: 5 } } } },
      envDefaults({ CONDUIT_RATE_LIMIT: 77 }),
    );
    const r = authenticate({ 'x-token': 'acme-token-1' }, undefined, c);
    expect(r.ok && r.tenant.limits.rateLimit).toBe(5);
    expect(r.ok && r.tenant.limits.maxConnections).toBe(envDefaults().CONDUIT_WS_MAX_CONNECTIONS);
  });
});

describe('checkAdmin', () => {
  it('403 when disabled, 401 missing/unknown, 403 tenant token, ok for the admin token', () => {
    expect(checkAdmin({ authorization: 'Bearer x' }, config(twoTenants))?.code).toBe('FORBIDDEN');
    const c = config(twoTenants, envDefaults({ CONDUIT_ADMIN_TOKEN: 'admin-secret-1' }));
    expect(checkAdmin({}, c)?.code).toBe('UNAUTHORIZED');
    expect(checkAdmin({ authorization: 'Bearer wrong' }, c)?.code).toBe('UNAUTHORIZED');
    expect(checkAdmin({ authorization: 'Bearer acme-token-1' }, c)?.code).toBe('FORBIDDEN');
    expect(checkAdmin({ 'x-token': 'admin-secret-1' }, c)).toBeUndefined();
  });
});

describe('open mode and binds', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])
      expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', 'example.com']) expect(isLoopback(h)).toBe(false);
  });

  it('refuses open mode on a public bind only', () => {
    expect(openModeProblem(config({}), '127.0.0.1')).toBeUndefined();
    expect(openModeProblem(config({}), '0.0.0.0')).toMatch(/refusing to bind 0\.0\.0\.0/);
    expect(openModeProblem(config(twoTenants), '0.0.0.0')).toBeUndefined();
    expect(openModeProblem(config({}, envDefaults({ CONDUIT_TOKENS: ['env-token-1'] })), '0.0.0.0')).toBeUndefined();
  });
});
