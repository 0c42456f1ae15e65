// Test helpers for the gateway's HTTP API: a tenants fixture, small undici wrappers,
// the request log reader and the error-shape assertion. Gateways: test/support/gateway.ts.
import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import { expect } from 'vitest';

export const TWO_TENANTS = `
tenants:
  acme:
    tokens: [acme-token-1, acme-token-2]
  globex:
    tokens: [globex-token-1]
`;

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
