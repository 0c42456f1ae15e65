import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvConfigError, envDefaults, parseEnv } from '../../src/gateway/config/env.js';
import { checkFileText, loadFileConfig } from '../../src/gateway/config/file.js';
import { ConfigLoadError, createConfigHolder } from '../../src/gateway/config/holder.js';
import { globToRegExp, resolveConfig } from '../../src/gateway/config/resolved.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conduit-cfg-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseEnv', () => {
  it('applies defaults and parses types', () => {
    const env = parseEnv({
      CONDUIT_HTTP_PORT: '0',
      CONDUIT_TOKENS: ' a1 , b2 ,',
      CONDUIT_MEMWATCH: 'yes',
      CONDUIT_BIND: '',
    });
    expect(env.CONDUIT_HTTP_PORT).toBe(0);
    expect(env.CONDUIT_WS_PORT).toBe(9088);
    expect(env.CONDUIT_BIND).toBe('127.0.0.1');
    expect(env.CONDUIT_TOKENS).toEqual(['a1', 'b2']);
    expect(env.CONDUIT_MEMWATCH).toBe(true);
    expect(env.CONDUIT_MAX_JSON_SIZE).toBe(10 * 1024 * 1024);
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('lists every problem at once', () => {
    try {
      parseEnv({ CONDUIT_HTTP_PORT: '70000', CONDUIT_STREAMS_BACKEND: 'kafka', CONDUIT_MEMWATCH: 'maybe' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(EnvConfigError);
      const problems = (err as EnvConfigError).problems.join('\n');
      expect(problems).toMatch(/CONDUIT_HTTP_PORT/);
      expect(problems).toMatch(/CONDUIT_STREAMS_BACKEND/);
      expect(problems).toMatch(/CONDUIT_MEMWATCH/);
    }
  });
});

describe('the YAML file', () => {
  it('accepts the documented shape', () => {
    const r = checkFileText(`
tenants:
  acme:
    tokens: [acme-token-1]
    limits: { rateLimit: 1000, maxConcurrentUploads: 10, maxUploadSize: 104857600, maxConnections: 50 }
streams:
  "orders*": { maxAttempts: 5, ackTimeoutMs: 30000, maxDepth: 100000 }
`);
    expect(r.ok).toBe(true);
  });

  it('lists every problem, without echoing tokens', () => {
    const r = checkFileText(`
tenants:
  "bad name":
    tokens: [x]
  acme:
    tokens: [shared-token-1]
    limits: { rateLimit: 0, nope: 1 }
streams:
  "a*": { maxAttempts: 0 }
`);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.length).toBeGreaterThanOrEqual(4);
      expect(r.problems.join('\n')).not.toContain('shared-token-1');
    }
    const dup = checkFileText('tenants:\n  a:\n    tokens: [same-token-1]\n  b:\n    tokens: [same-token-1]\n');
    expect(dup.ok).toBe(false);
    if (!dup.ok) expect(dup.problems.join()).toMatch(/also listed under tenant/);
    expect(checkFileText('tenants: [').ok).toBe(false);
  });

  it('treats a missing file as empty only when optional', async () => {
    expect((await loadFileConfig(join(dir, 'none.yaml'), { optional: true })).ok).toBe(true);
    const r = await loadFileConfig(join(dir, 'none.yaml'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatch(/ENOENT/);
  });
});

describe('resolveConfig', () => {
  it('picks the first matching stream glob over env defaults', () => {
    const check = checkFileText('streams:\n  "orders*": { maxDepth: 10 }\n  "*": { maxAttempts: 2 }\n');
    if (!check.ok) throw new Error('bad');
    const c = resolveConfig(check.config, envDefaults({ CONDUIT_ACK_TIMEOUT_MS: 999 }));
    expect(c.streamPolicy('orders-eu')).toEqual({ maxAttempts: 5, ackTimeoutMs: 999, maxDepth: 10 });
    expect(c.streamPolicy('other')).toMatchObject({ maxAttempts: 2, maxDepth: 100_000 });
    expect(globToRegExp('a.b*').test('a.bc')).toBe(true);
    expect(globToRegExp('a.b*').test('axbc')).toBe(false);
  });
});

describe('createConfigHolder', () => {
  it('fails start-up with every problem; reload keeps the old config on failure', async () => {
    const path = join(dir, 'holder.yaml');
    await writeFile(path, 'tenants:\n  acme:\n    tokens: [x]\n  b:\n    tokens: [y]\n');
    const err = await createConfigHolder({ env: envDefaults(), path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigLoadError);
    expect((err as ConfigLoadError).problems).toHaveLength(2);

    await writeFile(path, 'tenants:\n  acme:\n    tokens: [acme-token-1]\n');
    const holder = await createConfigHolder({ env: envDefaults(), path });
    expect(holder.status().status).toBe('ok');
    await writeFile(path, 'nonsense: true\n');
    const failed = await holder.reload();
    expect(failed).toMatchObject({ status: 'failed', errors: [expect.stringMatching(/nonsense|Unrecognized/)] });
    expect(holder.current().tenantForToken('acme-token-1')?.name).toBe('acme');
  });

  it('serialises concurrent reloads', async () => {
    const path = join(dir, 'serial.yaml');
    await writeFile(path, 'tenants: {}\n');
    const holder = await createConfigHolder({ env: envDefaults(), path });
    const [a, b] = await Promise.all([holder.reload(), holder.reload()]);
    expect(a.status).toBe('ok');
    expect(b.status).toBe('ok');
    expect(b.at >= a.at).toBe(true);
  });
});
