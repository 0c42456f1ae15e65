// Every HTTP error the gateway can emit — its own, Fastify's (routing, body parsing,
// schemas, URL and parameter checks) and the HTTP server's (malformed requests,
// oversized headers) — leaves in the one shape {"error": {"code", "message"}} with a
// catalogue code, and is logged with that code.
import { Readable } from 'node:stream';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { call, expectError, readJsonLines, TWO_TENANTS } from './helpers.js';
import { gatewaysClosedAfterEach } from '../support/gateway.js';
import { exchange, type HttpAnswer, parseResponses } from '../support/raw-socket.js';
import { until } from '../support/until.js';

const gateway = gatewaysClosedAfterEach();
const ACME = { authorization: 'Bearer acme-token-1' };
const JSON_ACME = { ...ACME, 'content-type': 'application/json' };

/** Write raw bytes, read until the server closes (bounded); the one HTTP answer. */
async function raw(base: string, bytes: string): Promise<HttpAnswer> {
  const res = await exchange(base, bytes);
  expect(res.closedByServer, `no close within 3 s; got ${JSON.stringify(res.bytes.toString())}`).toBe(true);
  const answers = parseResponses(res.bytes);
  expect(answers).toHaveLength(1);
  return answers[0]!;
}

describe('the one error shape', () => {
  it('routing: unknown paths, wrong methods, a plain GET on the WebSocket route', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    expectError(await call(`${g.httpUrl}/nope`), 404, 'NOT_FOUND');
    expectError(await call(`${g.httpUrl}/v1/enqueue`, { method: 'PUT', headers: ACME }), 404, 'NOT_FOUND');
    expectError(await call(`${g.httpUrl}/health`, { method: 'DELETE' }), 404, 'NOT_FOUND');
    const plain = await call(`${g.httpUrl}/v1/subscribe?stream=orders`, { headers: ACME });
    expectError(plain, 404, 'NOT_FOUND');
    expect(String(plain.headers['content-type'])).toMatch(/^application\/json/);
  });

  it('URLs and parameters Fastify rejects before routing', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    const badUrl = await call(`${g.httpUrl}/v1/stats/%E0%A4%A`, { headers: ACME });
    expectError(badUrl, 400, 'BAD_REQUEST');
    expectError(await call(`${g.httpUrl}/v1/blobs/${'a'.repeat(300)}`, { headers: ACME }), 400, 'BAD_REQUEST');
    // These never reach a route hook, and are logged all the same.
    const lines = await until(async () => {
      const l = await readJsonLines(g.httpLog);
      return l.length >= 2 ? l : undefined;
    });
    expect(lines[0]).toMatchObject({
      method: 'GET',
      path: '/v1/stats/%E0%A4%A',
      status: 400,
      code: 'BAD_REQUEST',
      tenant: '-',
    });
    expect(lines[1]).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });

  it('bodies: bad JSON, empty, prototype poisoning, too large, wrong or missing media type, schema', async () => {
    const g = await gateway({ yaml: TWO_TENANTS, env: { CONDUIT_MAX_JSON_SIZE: 1024 } });
    const url = `${g.httpUrl}/v1/enqueue`;
    expectError(await call(url, { headers: JSON_ACME, body: '{"to":' }), 400, 'INVALID_JSON');
    expectError(await call(url, { headers: JSON_ACME, body: '' }), 400, 'INVALID_JSON');
    expectError(
      await call(url, { headers: JSON_ACME, body: '{"to":"x","envelope":{"__proto__":{"a":1}}}' }),
      400,
      'INVALID_JSON',
    );
    expectError(
      await call(url, { headers: JSON_ACME, body: '{"to":"x","envelope":{"constructor":{"prototype":{"a":1}}}}' }),
      400,
      'INVALID_JSON',
    );
    expectError(
      await call(url, { headers: JSON_ACME, body: JSON.stringify({ to: 'x', envelope: 'y'.repeat(2048) }) }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expectError(
      await call(url, { headers: { ...ACME, 'content-type': 'text/plain' }, body: 'x' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await call(url, { headers: { ...ACME, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await call(url, { method: 'POST', headers: ACME, body: '{"to":"x","envelope":1}' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await call(url, { headers: JSON_ACME, body: '{"to":"x","envelope":1,"more":2}' }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await call(`${g.httpUrl}/v1/stats?stream=a&stream=b`, { headers: ACME }), 400, 'VALIDATION_FAILED');
  });

  it('the HTTP server: malformed requests, a bad Content-Length, oversized headers', async () => {
    const g = await gateway();
    for (const bytes of [
      'GARBAGE\r\n\r\n',
      'POST /v1/enqueue HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n',
    ]) {
      const res = await raw(g.httpUrl, bytes);
      expectError(res, 400, 'BAD_REQUEST');
      expect(res.headers.connection).toMatch(/^close$/i);
    }
    const big = await raw(g.httpUrl, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(32 * 1024)}\r\n\r\n`);
    expectError(big, 431, 'HEADERS_TOO_LARGE');
    // The gateway still serves.
    expect((await call(`${g.httpUrl}/health`)).status).toBe(200);
  });

  // Headers that arrive too slowly (slowloris: 408 REQUEST_TIMEOUT, then closed) meet a
  // listening gateway in test/hostile/cases-sockets.ts.

  it('an internal failure is INTERNAL 500, logged with its request id, details kept out of the answer', async () => {
    const g = await gateway();
    const streams = g.gw.ctx.streams as { enqueue: (...args: unknown[]) => Promise<unknown> };
    streams.enqueue = async () => {
      throw new Error('disk /var/secret exploded');
    };
    const res = await call(`${g.httpUrl}/v1/enqueue`, { json: { to: 'x', envelope: 1 } });
    expectError(res, 500, 'INTERNAL');
    expect(res.text).not.toContain('secret');
    const logged = g.appLines.find((l) => l.msg === 'request failed');
    expect(logged).toMatchObject({ reqId: expect.any(String), route: '/v1/enqueue' });
  });

  it('a client that goes away mid-body is logged as 499 aborted (there is nobody to answer)', async () => {
    const g = await gateway();
    const ac = new AbortController();
    const pending = request(`${g.httpUrl}/v1/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Readable.from(
        (async function* () {
          yield '{"to":';
          await new Promise((r) => ac.signal.addEventListener('abort', r));
        })(),
      ),
      signal: ac.signal,
    }).catch((err: unknown) => err);
    await until(async () => (await call(`${g.httpUrl}/v1/metrics`)).body.http.inflight >= 2);
    ac.abort();
    await pending;
    const line = await until(async () => (await readJsonLines(g.httpLog)).find((l) => l.path === '/v1/enqueue'));
    expect(line).toMatchObject({ status: 499, aborted: true });
  });
});
