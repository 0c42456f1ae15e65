// The process entry as a child: ready line + IPC, SIGHUP reload, SIGTERM drain and exit
// code, startup failures, and `conduit config check`. Run through tsx (no build needed).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childGateways, type Started } from './child.js';
import { call, enqueue, TWO_TENANTS } from './helpers.js';
import { GATEWAY_NODE_FLAGS } from '../../src/gateway/node-flags.js';
import { until } from '../support/until.js';

let dir: string;
const { start, ready } = childGateways(() => dir);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conduit-proc-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('conduit serve (child process)', () => {
  it("warns once when started without the gateway's Node flags, and not with them", async () => {
    const plain = start({});
    const tuned = start({}, [], GATEWAY_NODE_FLAGS);
    await Promise.all([ready(plain), ready(tuned)]);
    // The app log is written asynchronously: read stdout once both have exited.
    plain.child.kill('SIGTERM');
    tuned.child.kill('SIGTERM');
    expect(await plain.exited).toBe(0);
    expect(await tuned.exited).toBe(0);
    await Promise.all([plain.closed, tuned.closed]);
    const warnings = (s: Started) =>
      s
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"event":"node-flags"'));
    expect(warnings(plain)).toHaveLength(1);
    expect(JSON.parse(warnings(plain)[0])).toMatchObject({ level: 'warn', missing: [...GATEWAY_NODE_FLAGS] });
    expect(warnings(tuned)).toEqual([]);
  });

  it('announces its addresses, reloads on SIGHUP, drains and exits 0 on SIGTERM', async () => {
    const config = join(dir, 'serve.yaml');
    await writeFile(config, TWO_TENANTS);
    const s = start({ CONDUIT_CONFIG: config });
    const msg = await ready(s);
    expect(msg).toMatchObject({
      type: 'conduit:ready',
      pid: s.child.pid,
      httpUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      wsUrl: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+$/),
    });
    await until(() => s.stdout().includes('\n'));
    const line = s
      .stdout()
      .split('\n')
      .find((l) => l.startsWith('conduit ready '));
    expect(JSON.parse(line!.slice('conduit ready '.length))).toEqual({
      httpUrl: msg.httpUrl,
      wsUrl: msg.wsUrl,
      pid: s.child.pid,
    });
    expect((await enqueue(msg.httpUrl, 'q', 1, 'acme-token-1')).status).toBe(200);

    // SIGHUP with an invalid file: old config kept, failure shown in /health.
    await writeFile(config, 'tenants: 7\n');
    s.child.kill('SIGHUP');
    const failed = await until(async () => {
      const h = await call(`${msg.httpUrl}/health`);
      return h.body.reload.status === 'failed' ? h.body.reload : undefined;
    });
    expect(failed.errors.length).toBeGreaterThan(0);
    expect((await enqueue(msg.httpUrl, 'q', 2, 'acme-token-1')).status).toBe(200);

    // SIGHUP with a valid file: the new tenant's token works.
    await writeFile(config, 'tenants:\n  solo:\n    tokens: [solo-token-1]\n');
    s.child.kill('SIGHUP');
    await until(async () => (await enqueue(msg.httpUrl, 'q', 3, 'solo-token-1')).status === 200);
    expect((await call(`${msg.httpUrl}/health`)).body.reload.status).toBe('ok');

    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('exits 1 when the drain times out', async () => {
    const s = start({ CONDUIT_DRAIN_TIMEOUT_MS: '200' });
    const msg = await ready(s);
    // A request that never finishes its body keeps the drain from completing.
    const { request } = await import('undici');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const pending = request(`${msg.httpUrl}/v1/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Readable.from(
        (async function* () {
          yield '{"to":';
          await gate;
        })(),
      ),
    }).catch((e: unknown) => e);
    // In flight: the slow request plus this metrics request itself.
    await until(async () => (await call(`${msg.httpUrl}/v1/metrics`)).body.http.inflight >= 2);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(1);
    release();
    await pending;
  });

  it('fails to start with exit 1 and a reason: explicit config file missing', async () => {
    const s = start({ CONDUIT_CONFIG: join(dir, 'missing.yaml') });
    expect(await s.exited).toBe(1);
    expect(s.stderr()).toMatch(/cannot start: .*missing\.yaml: cannot read \(ENOENT\)/s);
    expect(s.messages).toContainEqual({ type: 'conduit:error', message: expect.stringMatching(/missing\.yaml/) });
  });

  it('refuses an open gateway on a non-loopback bind', async () => {
    const s = start({ CONDUIT_BIND: '0.0.0.0', CONDUIT_CONFIG: '' });
    expect(await s.exited).toBe(1);
    expect(s.stderr()).toMatch(/no tokens are configured.*refusing to bind 0\.0\.0\.0/s);
  });
});

describe('conduit config check', () => {
  it('exits 0 for a valid file and 1 listing every problem', async () => {
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.yaml');
    await writeFile(good, TWO_TENANTS);
    await writeFile(bad, 'tenants:\n  acme:\n    tokens: [short]\nstreams:\n  "x*": { maxDepth: 0 }\n');
    const ok = start({}, ['config', 'check', good]);
    expect(await ok.exited).toBe(0);
    expect(ok.stdout()).toMatch(/ok \(2 tenants, 0 stream rules\)/);
    const ko = start({}, ['config', 'check', bad]);
    expect(await ko.exited).toBe(1);
    expect(ko.stdout()).toMatch(/2 problems/);
    expect(ko.stdout()).toMatch(/tenants\.acme\.tokens\.0/);
    expect(ko.stdout()).toMatch(/streams\.x\*\.maxDepth/);
  });
});
