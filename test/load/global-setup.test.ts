import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startManagedGateway } from '../../src/load/gateway-target.js';
import setup from '../../src/vitest/global-setup.js';
import { startChildTarget } from '../../src/load/internal/child-target.js';
import type { ChildTarget } from '../../src/load/internal/child-target.js';
import { externalTarget } from '../../src/load/target.js';
import type { ConduitTarget } from '../../src/load/target.js';

const fixture = fileURLToPath(new URL('./fixtures/fake-target.mjs', import.meta.url));
const logDir = mkdtempSync(join(tmpdir(), 'conduit-gs-test-'));
const started: ChildTarget[] = [];

function start(mode: string, readyTimeoutMs = 5000) {
  return startChildTarget({
    command: process.execPath,
    args: [fixture],
    env: { ...process.env, FAKE_MODE: mode },
    readyTimeoutMs,
    logFile: join(logDir, `${mode}.log`),
  }).then((t) => {
    started.push(t);
    return t;
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.stop(1000)));
});

describe('child target', () => {
  it('waits for the IPC ready message and stops with SIGTERM', async () => {
    const t = await start('ipc');
    expect(t.ready.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(t.ready.pid).toBe(t.child.pid);
    const res = await fetch(`${t.ready.httpUrl}/v1/metrics`);
    expect(res.status).toBe(200);
    const exit = await t.stop(3000);
    expect(exit).toMatchObject({ code: 0, forced: false });
    expect(alive(t.ready.pid)).toBe(false);
  });

  it('accepts the stdout ready line and logs stdout to the log file', async () => {
    const t = await start('stdout');
    expect(t.ready.wsUrl).toMatch(/^ws:/);
    await t.stop(3000);
    expect(readFileSync(join(logDir, 'stdout.log'), 'utf8')).toContain('some log line');
  });

  it('a child that exits before ready gives one error with its stderr', async () => {
    const error = await start('crash').catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/exited before ready \(code 3\)/);
    expect((error as Error).message).toContain('port exploded');
  });

  it('a conduit:error message is reported with its text and stderr', async () => {
    const error = (await start('error-ipc').catch((e: Error) => e)) as Error;
    expect(error.message).toContain('invalid CONDUIT_CONFIG');
    expect(error.message).toContain('bad config');
  });

  it('a silent child times out, and is killed', async () => {
    const t0 = Date.now();
    const error = (await start('silent', 400).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/did not report ready within 400 ms/);
    expect(Date.now() - t0).toBeLessThan(400 * 10); // its 400 ms ended it, not the default
  });

  it('SIGKILLs a child that ignores SIGTERM after the deadline', async () => {
    const t = await start('stubborn');
    const exit = await t.stop(300);
    expect(exit).toMatchObject({ forced: true, signal: 'SIGKILL' });
    expect(alive(t.ready.pid)).toBe(false);
  });
});

describe('global setup', () => {
  it('startManagedGateway provides pid, URLs and metrics URL, passes port 0 env, cleans up', async () => {
    const gw = await startManagedGateway({
      root: process.cwd(),
      command: { command: process.execPath, args: [fixture] },
      env: { ...process.env, FAKE_MODE: 'ipc' },
      logFile: join(logDir, 'managed.log'),
    });
    try {
      expect(gw.target).toMatchObject({ managed: true, pid: expect.any(Number) });
      expect(gw.target.metricsUrl).toBe(`${gw.target.httpUrl}/v1/metrics`);
      expect(alive(gw.target.pid!)).toBe(true);
    } finally {
      const exit = await gw.stop();
      expect(exit.code).toBe(0);
    }
    expect(alive(gw.target.pid!)).toBe(false);
  });

  it('with CONDUIT_TARGET_URL provides the external service and starts nothing', async () => {
    const saved = { ...process.env };
    process.env.CONDUIT_TARGET_URL = 'http://127.0.0.1:9/anything';
    process.env.CONDUIT_TARGET_PID = String(process.pid);
    try {
      const provided: Record<string, unknown> = {};
      const project = {
        provide: (k: string, v: unknown) => (provided[k] = v),
        getProvidedContext: () => ({}),
        config: { root: process.cwd() },
      };
      const teardown = await setup(project as never);
      const target = provided.conduitTarget as ConduitTarget;
      expect(target).toEqual({
        httpUrl: 'http://127.0.0.1:9',
        wsUrl: 'ws://127.0.0.1:9',
        pid: process.pid,
        metricsUrl: 'http://127.0.0.1:9/v1/metrics',
        managed: false,
      });
      await teardown();
    } finally {
      process.env = saved;
    }
  });

  it('rejects a bad CONDUIT_TARGET_PID', () => {
    expect(() => externalTarget({ CONDUIT_TARGET_URL: 'http://127.0.0.1:1', CONDUIT_TARGET_PID: 'abc' })).toThrow(
      /positive integer/,
    );
  });
});

process.on('exit', () => {
  if (existsSync(logDir)) rmSync(logDir, { recursive: true, force: true });
});
