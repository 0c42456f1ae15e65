// Test helpers: real gateways on 127.0.0.1 port 0, each with its own temp directory
// (config file, logs, blobs), and small undici wrappers. Close what you start.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { afterEach, expect } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway/app.js';
import { envDefaults } from '../../src/gateway/config/env.js';

type EnvOverrides = Parameters<typeof envDefaults>[0];

export interface TestGateway {
  gw: Gateway;
  httpUrl: string;
  wsUrl: string;
  dir: string;
  configPath: string;
  httpLog: string;
  /** App log lines (parsed JSON). */
  appLines: Array<Record<string, unknown>>;
  writeConfig(yaml: string): Promise<void>;
  close(): Promise<void>;
}

export const TWO_TENANTS = `
tenants:
  acme:
    tokens: [acme-token-1, acme-token-2]
  globex:
    tokens: [globex-token-1]
`;

export async function startGateway(
  opts: { env?: EnvOverrides; yaml?: string; listen?: boolean } = {},
): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'conduit-gw-'));
  const configPath = join(dir, 'conduit.yaml');
  if (opts.yaml !== undefined) await writeFile(configPath, opts.yaml);
  const httpLog = join(dir, 'logs', 'http.jsonl');
  const env = envDefaults({
    CONDUIT_HTTP_PORT: 0,
    CONDUIT_WS_PORT: 0,
    CONDUIT_BIND: '127.0.0.1',
    CONDUIT_CONFIG: configPath,
    CONDUIT_HTTP_LOG: httpLog,
    CONDUIT_WS_LOG: join(dir, 'logs', 'ws.jsonl'),
    CONDUIT_BLOB_LOCAL_DIR: join(dir, 'blobs'),
    CONDUIT_LOG_LEVEL: 'info',
    ...opts.env,
  });
  const appLines: Array<Record<string, unknown>> = [];
  const appLog = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) appLines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  let gw: Gateway;
  try {
    gw = await createGateway({ env, configOptional: opts.yaml === undefined, appLog });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const addresses = opts.listen === false ? { httpUrl: '', wsUrl: '' } : await gw.listen();
  return {
    gw,
    ...addresses,
    dir,
    configPath,
    httpLog,
    appLines,
    writeConfig: (yaml) => writeFile(configPath, yaml),
    async close() {
      await gw.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever JSON the gateway answered
  body: any;
  text: string;
}

export async function call(
  url: string,
  opts: {
    method?: string;
    token?: string;
    json?: unknown;
    body?: string | Buffer;
    headers?: Record<string, string>;
  } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await request(url, {
    method: (opts.method ?? (body === undefined ? 'GET' : 'POST')) as 'GET',
    headers,
    body,
  });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.statusCode, headers: res.headers, body: parsed, text };
}

export const enqueue = (base: string, to: string, envelope: unknown, token?: string) =>
  call(`${base}/v1/enqueue`, { json: { to, envelope }, token });

export async function readJsonLines(path: string): Promise<Array<Record<string, unknown>>> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function expectError(res: Res, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }, res.text).toEqual({ status, code });
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.message.length).toBeGreaterThan(0);
}

/**
 * A gateway starter for one test file: every gateway it starts is closed after each
 * test, whatever the test's outcome.
 */
export function gatewaysClosedAfterEach(): (opts?: Parameters<typeof startGateway>[0]) => Promise<TestGateway> {
  const open: TestGateway[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((g) => g.close()));
  });
  return async (opts) => {
    const g = await startGateway(opts);
    open.push(g);
    return g;
  };
}
