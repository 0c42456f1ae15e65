// A managed target that is not Conduit: a command started as a child, ready when its URL
// answers HTTP (or a line of its output matches), its pid provided for memory, stopped at
// the end; a command that exits or never gets ready gives one error quoting its output.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isLoadError, parseTargetOptions, splitCommand, startTarget } from '../../src/load/index.js';
import type { RunningTarget } from '../../src/load/index.js';
import { alive } from '../support/process.js';
import { freePort } from '../support/ports.js';

const service = fileURLToPath(new URL('./fixtures/http-service.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'conduit-managed-'));
const running: RunningTarget[] = [];

async function start(options: Record<string, unknown>): Promise<RunningTarget> {
  const t = await startTarget(parseTargetOptions(options), { root });
  running.push(t);
  return t;
}

async function failure(options: Record<string, unknown>): Promise<Error> {
  const error = await start(options).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error, 'the start should have failed').toBeInstanceOf(Error);
  return error!;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.stop()));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('managed command target', () => {
  it('starts the command, is ready when its URL answers, provides its pid, and stops it', async () => {
    const port = await freePort();
    const t = await start({
      command: `node ${service}`,
      env: { PORT: port, GREETING: 'hi' },
      url: `http://127.0.0.1:${port}/health`,
      logFile: 'logs/service.log',
    });
    expect(t.target).toMatchObject({
      httpUrl: `http://127.0.0.1:${port}`,
      wsUrl: `ws://127.0.0.1:${port}`,
      managed: true,
    });
    expect(alive(t.target.pid!)).toBe(true);
    // The pid is the service's own process (no shell between): /proc names node.
    expect(readFileSync(`/proc/${t.target.pid}/cmdline`, 'utf8').split('\0')).toContain(service);
    const body = (await (await fetch(`${t.target.httpUrl}/x`)).json()) as { greeting: string };
    expect(body.greeting).toBe('hi');
    const exit = await t.stop();
    expect(exit).toMatchObject({ forced: false });
    expect(alive(t.target.pid!)).toBe(false);
    expect(readFileSync(join(root, 'logs/service.log'), 'utf8')).toContain('service starting (serve)');
  });

  it('on port 0: `ready` captures the port the service printed and fills {port} in its URLs', async () => {
    const t = await start({
      command: ['node', service],
      env: { PORT: 0 },
      url: 'http://127.0.0.1:{port}/health',
      ready: /listening on port (\d+)/,
    });
    expect(t.target.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(t.target.httpUrl).not.toContain('{port}');
    expect(t.target.wsUrl).toBe(t.target.httpUrl.replace(/^http/, 'ws'));
    expect(((await (await fetch(`${t.target.httpUrl}/x`)).json()) as { ok: boolean }).ok).toBe(true);
  });

  it('with `ready`, waits for the matching output line, not only for the URL', async () => {
    const port = await freePort();
    const t = await start({
      command: ['node', service],
      env: { PORT: port, SERVICE_MODE: 'late-line' },
      url: `http://127.0.0.1:${port}`,
      ready: /READY/,
    });
    expect(alive(t.target.pid!)).toBe(true);
    // A service that answers HTTP but never prints the line is not ready.
    const port2 = await freePort();
    const error = await failure({
      command: ['node', service],
      env: { PORT: port2 },
      url: `http://127.0.0.1:${port2}`,
      ready: 'READY',
      readyTimeoutMs: 700,
    });
    expect(isLoadError(error, 'TARGET_NOT_READY')).toBe(true);
    expect(error.message).toContain('did not print a line matching /READY/ within 700 ms');
  });

  it('a command that exits before ready gives one error quoting its last output, stdout and stderr', async () => {
    const port = await freePort();
    const error = await failure({
      command: `node ${service}`,
      env: { PORT: port, SERVICE_MODE: 'crash' },
      url: `http://127.0.0.1:${port}`,
    });
    expect(isLoadError(error, 'TARGET_EXITED')).toBe(true);
    expect(error.message).toMatch(/target exited before ready \(code 2\)/);
    expect(error.message).toContain('service starting (crash)');
    expect(error.message).toContain('cannot connect to the database at db:5432');
  });

  it('a command that never gets ready is stopped, with one error quoting its output', async () => {
    const port = await freePort();
    const error = await failure({
      command: `node ${service}`,
      env: { PORT: port, SERVICE_MODE: 'silent' },
      url: `http://127.0.0.1:${port}`,
      readyTimeoutMs: 600,
    });
    expect(isLoadError(error, 'TARGET_NOT_READY')).toBe(true);
    expect(error.message).toContain(`did not answer HTTP at http://127.0.0.1:${port}/ within 600 ms`);
    expect(error.message).toContain('waiting for something that never comes');
    // The service was stopped before the error was raised.
    const pid = Number(/service starting \(silent\) pid (\d+)/.exec(error.message)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
    expect(readFileSync(join(root, 'reports/load-target.out.log'), 'utf8')).toContain(
      `service starting (silent) pid ${pid}`,
    );
  });

  it('a command that cannot be started says so', async () => {
    const error = await failure({ command: 'no-such-command-conduit --flag', url: 'http://127.0.0.1:9' });
    expect(isLoadError(error, 'TARGET_SPAWN')).toBe(true);
    expect(error.message).toContain('cannot start no-such-command-conduit --flag');
  });

  it('{ url } describes a running service and stops nothing', async () => {
    const t = await start({ url: 'http://127.0.0.1:9/base', pid: process.pid });
    expect(t.target).toEqual({
      httpUrl: 'http://127.0.0.1:9',
      wsUrl: 'ws://127.0.0.1:9',
      pid: process.pid,
      managed: false,
    });
    await t.stop();
    expect(alive(process.pid)).toBe(true);
  });
});

describe('target options', () => {
  const problem = (input: unknown) => {
    try {
      parseTargetOptions(input);
    } catch (error) {
      expect(isLoadError(error, 'TARGET_OPTIONS')).toBe(true);
      return (error as Error).message;
    }
    throw new Error('expected a TARGET_OPTIONS error');
  };

  it('a target with neither command nor url is one clear error', () => {
    expect(problem({ env: { PORT: 1 } })).toMatch(/target needs `command` and `url`.*it has neither/);
  });

  it('names unknown and malformed options', () => {
    expect(problem({ command: 'node s.mjs', url: 'http://127.0.0.1:1', enviroment: {} })).toMatch(
      /unknown option target\.enviroment/,
    );
    expect(problem({ url: 'http://127.0.0.1:1', cwd: '.' })).toMatch(
      /unknown option target\.cwd \(a running service; add `command`/,
    );
    expect(problem({ command: 'node s.mjs', url: 'localhost' })).toMatch(/target\.url must be an absolute URL/);
    expect(problem({ command: 'node s.mjs | tee x', url: 'http://127.0.0.1:1' })).toMatch(
      /target\.command is run without a shell/,
    );
    expect(problem({ command: 'node s.mjs', url: 'http://127.0.0.1:1', readyTimeoutMs: -1 })).toMatch(
      /target\.readyTimeoutMs must be a positive number/,
    );
    expect(problem({ preset: 'nginx' })).toMatch(/target\.preset must be 'conduit-gateway'/);
    expect(problem({ command: 'node s.mjs', url: 'http://127.0.0.1:{port}' })).toMatch(
      /target\.url has \{port\}: give `ready` a RegExp whose first group captures the port/,
    );
    expect(problem({ command: 'node s.mjs', url: 'http://127.0.0.1:{port}', ready: /listening/ })).toMatch(
      /target\.url has \{port\}/,
    );
    expect(problem({ url: 'http://127.0.0.1:{port}' })).toMatch(
      /target\.url: \{port\} is for a service the run starts/,
    );
  });

  it('splits a command line like a shell splits a simple command', () => {
    expect(splitCommand(`node  server.mjs --name "a b" '' x`)).toEqual([
      'node',
      'server.mjs',
      '--name',
      'a b',
      '',
      'x',
    ]);
    expect(() => splitCommand('node "open')).toThrow(/unclosed "/);
  });
});
