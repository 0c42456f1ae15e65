// Regressions of issue 12 (outside hostile probe), cases 2, 5 and 6: each failed on the
// code before its fix.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { call, expectError, readJsonLines, TWO_TENANTS } from '../gateway/helpers.js';
import { gatewaysClosedAfterEach } from '../support/gateway.js';
import { upload } from '../uploads/client.js';
import { exchange, httpRequest, parseResponses, upgradeRequest, type HttpAnswer } from '../support/raw-socket.js';
import { until } from '../support/until.js';
import { AT_ONCE_MS } from './corpus.js';

const gateway = gatewaysClosedAfterEach();
const ACME = { Authorization: 'Bearer acme-token-1' };
const JSON_ACME = { ...ACME, 'Content-Type': 'application/json' };

const asRes = (a: HttpAnswer) => ({ status: a.status, headers: a.headers, body: a.body, text: a.text });

describe('issue 12, case 2: a request pipelined before bytes the parser refuses', () => {
  it('gets its own answer first, then 400 BAD_REQUEST with Connection: close; the message is enqueued once', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    const enqueue = httpRequest({
      path: '/v1/enqueue',
      headers: JSON_ACME,
      body: JSON.stringify({ to: 'pipelined', envelope: { n: 1 } }),
      close: false,
    });
    const ex = await exchange(g.httpUrl, Buffer.concat([enqueue, Buffer.from('GARBAGE\r\n\r\n')]));
    const answers = parseResponses(ex.bytes);
    expect(answers.map((a) => a.status)).toEqual([200, 400]);
    expect(answers[0]!.body).toMatchObject({ stream: 'pipelined', id: expect.any(String) });
    expectError(asRes(answers[1]!), 400, 'BAD_REQUEST');
    expect(answers[1]!.headers.connection).toBe('close');
    expect(ex.closedByServer).toBe(true);
    const stats = await call(`${g.httpUrl}/v1/stats?stream=pipelined`, { token: 'acme-token-1' });
    expect(stats.body.depth).toBe(1);
  });

  it('several pipelined requests are all answered, in order, before the refusal', async () => {
    const g = await gateway();
    const health = httpRequest({ path: '/health', close: false });
    const ex = await exchange(g.httpUrl, Buffer.concat([health, health, health, Buffer.from('\x01\x02 nope\r\n\r\n')]));
    expect(parseResponses(ex.bytes).map((a) => a.status)).toEqual([200, 200, 200, 400]);
  });
});

describe('issue 12, case 5: 400 answers in the one error shape', () => {
  it('an HTTP/1.1 request without Host: 400 BAD_REQUEST, connection closed', async () => {
    const g = await gateway();
    const ex = await exchange(g.httpUrl, 'GET /health HTTP/1.1\r\n\r\n');
    const [answer] = parseResponses(ex.bytes);
    expectError(asRes(answer!), 400, 'BAD_REQUEST');
    expect(answer!.headers.connection).toBe('close');
    expect(ex.closedByServer).toBe(true);
    // HTTP/1.0 has no Host requirement.
    const old = parseResponses((await exchange(g.httpUrl, 'GET /health HTTP/1.0\r\n\r\n')).bytes);
    expect(old.map((a) => a.status)).toEqual([200]);
  });

  it('a WebSocket upgrade without Sec-WebSocket-Key, or with version 99: 400 INVALID_HANDSHAKE', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    for (const base of [g.httpUrl, g.wsUrl]) {
      const noKey = await exchange(
        base,
        upgradeRequest('/v1/subscribe?stream=s', { ...ACME, 'Sec-WebSocket-Key': undefined }),
      );
      const [a] = parseResponses(noKey.bytes);
      expectError(asRes(a!), 400, 'INVALID_HANDSHAKE');
      expect(noKey.closedByServer).toBe(true);

      const v99 = await exchange(
        base,
        upgradeRequest('/v1/subscribe?stream=s', { ...ACME, 'Sec-WebSocket-Version': '99' }),
      );
      const [b] = parseResponses(v99.bytes);
      expectError(asRes(b!), 400, 'INVALID_HANDSHAKE');
      expect(b!.headers['sec-websocket-version']).toBe('13, 8');
      expect(v99.closedByServer).toBe(true);
    }
  });
});

describe('issue 12, case 6', () => {
  it('a declared body over the limit is answered 413 at once; bytesIn is what was read, not what was declared', async () => {
    const g = await gateway({ env: { CONDUIT_LOG_FLUSH_MS: 0 } });
    const head =
      'POST /v1/enqueue HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n';
    const ex = await exchange(g.httpUrl, [head, '{"to":"a"'], { until: (b) => b.includes('PAYLOAD_TOO_LARGE') });
    expect(ex.ms).toBeLessThan(AT_ONCE_MS);
    const [answer] = parseResponses(ex.bytes);
    expectError(asRes(answer!), 413, 'PAYLOAD_TOO_LARGE');
    expect(answer!.headers.connection).toBe('close');
    const line = await until(async () => (await readJsonLines(g.httpLog)).find((l) => l.status === 413));
    expect(line.bytesIn).toBeLessThan(1024);
  });

  it('any early answer to a large declared body that is not coming is sent at once (401 here)', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    const head =
      'POST /v1/enqueue HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n';
    const ex = await exchange(g.httpUrl, head, { until: (b) => b.includes('UNAUTHORIZED') });
    expect(ex.ms).toBeLessThan(AT_ONCE_MS);
    expectError(asRes(parseResponses(ex.bytes)[0]!), 401, 'UNAUTHORIZED');
  });

  it('a client still sending its too-large body gets the 413 and no reset', async () => {
    const g = await gateway({ env: { CONDUIT_MAX_JSON_SIZE: 1024 } });
    const size = 4 * 1024 * 1024;
    const head = `POST /v1/enqueue HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`;
    const ex = await exchange(g.httpUrl, [head, Buffer.alloc(size, 0x61)], { boundMs: 5000 });
    expect(ex.reset).toBe(false);
    expectError(asRes(parseResponses(ex.bytes)[0]!), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a gzip body on a JSON route: 415 UNSUPPORTED_ENCODING; identity is accepted', async () => {
    const g = await gateway();
    const body = JSON.stringify({ to: 'gz', envelope: 1 });
    const gz = await call(`${g.httpUrl}/v1/enqueue`, {
      body: gzipSync(body),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expectError(gz, 415, 'UNSUPPORTED_ENCODING');
    const identity = await call(`${g.httpUrl}/v1/enqueue`, {
      body,
      headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
    });
    expect(identity.status).toBe(200);
  });

  it('with the default limits, too many fields answers 413 TOO_MANY_FIELDS', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    const fields = Array.from({ length: 11 }, (_, i) => ({ field: `f${i}`, value: 'v' }));
    const res = await upload(g.httpUrl, 'acme-token-1', fields);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'TOO_MANY_FIELDS', details: { limit: 10 } });
    const ten = await upload(g.httpUrl, 'acme-token-1', fields.slice(0, 10));
    expect(ten.status).toBe(201);
  });
});
