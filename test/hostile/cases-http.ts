// Hostile HTTP requests: JSON shapes, stream names, framing, headers, auth, routes and
// blob ids. Every answer is the one documented in docs/protocol-http.md. The corpus
// gateway runs with CONDUIT_MAX_JSON_SIZE = 64 KiB (http.test.ts).
import type { RawCase } from './corpus.js';
import { ACME, AT_ONCE_MS } from './corpus.js';
import { httpRequest } from '../support/raw-socket.js';

const JSON_ACME = { ...ACME, 'Content-Type': 'application/json' };

const enqueue = (body: string | Buffer, headers: Record<string, string> = JSON_ACME) =>
  httpRequest({ path: '/v1/enqueue', headers, body });

const stats = (query: string, headers: Record<string, string> = ACME) =>
  httpRequest({ path: `/v1/stats${query}`, headers });

const ok = (envelope: unknown = 1, to = 'hostile') => JSON.stringify({ to, envelope });

const deep = (n: number): unknown => (n === 0 ? 1 : [deep(n - 1)]);

const bad = (name: string, send: RawCase['send'], status: number, code: string): RawCase => ({
  name,
  send,
  answers: [{ status, code }],
  closes: true,
});

export const HTTP_CASES: RawCase[] = [
  // JSON shapes
  bad('enqueue: body not JSON', enqueue('{"to":'), 400, 'INVALID_JSON'),
  bad('enqueue: empty JSON body', enqueue(''), 400, 'INVALID_JSON'),
  bad('enqueue: JSON array', enqueue('[1,2]'), 400, 'VALIDATION_FAILED'),
  bad('enqueue: JSON string', enqueue('"hello"'), 400, 'VALIDATION_FAILED'),
  bad('enqueue: JSON null', enqueue('null'), 400, 'VALIDATION_FAILED'),
  bad('enqueue: no envelope', enqueue('{"to":"a"}'), 400, 'VALIDATION_FAILED'),
  bad('enqueue: no to', enqueue('{"envelope":1}'), 400, 'VALIDATION_FAILED'),
  bad('enqueue: to is a number', enqueue('{"to":5,"envelope":1}'), 400, 'VALIDATION_FAILED'),
  bad('enqueue: an unknown key', enqueue('{"to":"a","envelope":1,"x":2}'), 400, 'VALIDATION_FAILED'),
  bad('enqueue: __proto__ key', enqueue('{"to":"a","envelope":1,"__proto__":{"x":1}}'), 400, 'INVALID_JSON'),
  bad(
    'enqueue: constructor.prototype',
    enqueue('{"to":"a","envelope":{"constructor":{"prototype":{"x":1}}}}'),
    400,
    'INVALID_JSON',
  ),
  bad(
    'enqueue: envelope 65 levels deep',
    enqueue(JSON.stringify({ to: 'a', envelope: deep(65) })),
    400,
    'ENVELOPE_TOO_DEEP',
  ),
  bad('enqueue: trailing garbage after JSON', enqueue(`${ok()}xyz`), 400, 'INVALID_JSON'),
  bad('enqueue: body over CONDUIT_MAX_JSON_SIZE', enqueue(ok('x'.repeat(70_000))), 413, 'PAYLOAD_TOO_LARGE'),
  {
    name: 'enqueue: Content-Length of 100 MB, body never sent (413 at once)',
    send: httpRequest({ path: '/v1/enqueue', headers: { ...JSON_ACME, 'Content-Length': '104857600' }, body: '{"to"' }),
    answers: [{ status: 413, code: 'PAYLOAD_TOO_LARGE', headers: { connection: 'close' } }],
    closes: true,
    withinMs: AT_ONCE_MS,
  },
  bad('enqueue: text/plain', enqueue(ok(), { ...ACME, 'Content-Type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE'),
  bad('enqueue: no Content-Type', enqueue(ok(), ACME), 415, 'UNSUPPORTED_MEDIA_TYPE'),
  bad(
    'enqueue: Content-Encoding gzip',
    enqueue(ok(), { ...JSON_ACME, 'Content-Encoding': 'gzip' }),
    415,
    'UNSUPPORTED_ENCODING',
  ),
  bad(
    'enqueue: Content-Encoding br, identity',
    enqueue(ok(), { ...JSON_ACME, 'Content-Encoding': 'br, identity' }),
    415,
    'UNSUPPORTED_ENCODING',
  ),
  {
    name: 'enqueue: Content-Encoding identity',
    send: enqueue(ok(), { ...JSON_ACME, 'Content-Encoding': 'identity' }),
    answers: [{ status: 200 }],
  },
  { name: 'enqueue: a valid request (control)', send: enqueue(ok()), answers: [{ status: 200 }], closes: true },
  // Stream names
  bad('enqueue: stream name with a space', enqueue(ok(1, 'a b')), 400, 'INVALID_STREAM_NAME'),
  bad('enqueue: empty stream name', enqueue(ok(1, '')), 400, 'INVALID_STREAM_NAME'),
  bad('enqueue: stream name of 201 characters', enqueue(ok(1, 'a'.repeat(201))), 400, 'INVALID_STREAM_NAME'),
  bad('enqueue: stream name with non-ASCII letters', enqueue(ok(1, 'ordérs')), 400, 'INVALID_STREAM_NAME'),
  bad('enqueue: stream name with a NUL', enqueue(ok(1, 'a\u0000b')), 400, 'INVALID_STREAM_NAME'),
  bad("enqueue: another tenant's qualified name", enqueue(ok(1, 'tenant:globex/orders')), 403, 'FORBIDDEN'),
  bad('enqueue: malformed qualified name', enqueue(ok(1, 'tenant:acme')), 400, 'INVALID_STREAM_NAME'),
  bad('stats: no stream', stats(''), 400, 'VALIDATION_FAILED'),
  bad('stats: stream twice', stats('?stream=a&stream=b'), 400, 'VALIDATION_FAILED'),
  bad('stats: a backslash in the name', stats('?stream=..%5C..%5Cetc'), 400, 'INVALID_STREAM_NAME'),
  {
    name: 'stats: a name that looks like a path is only a name',
    send: stats('?stream=../../etc/passwd'),
    answers: [{ status: 200 }],
  },
  bad('stats: percent-encoded newline in the name', stats('?stream=a%0Ab'), 400, 'INVALID_STREAM_NAME'),
  // Auth
  bad('enqueue: no token', enqueue(ok(), { 'Content-Type': 'application/json' }), 401, 'UNAUTHORIZED'),
  bad(
    'enqueue: unknown token',
    enqueue(ok(), { Authorization: 'Bearer wrong-token-1234', 'Content-Type': 'application/json' }),
    401,
    'UNAUTHORIZED',
  ),
  bad('stats: Basic credentials', stats('?stream=a', { Authorization: 'Basic YWNtZTphY21l' }), 401, 'UNAUTHORIZED'),
  bad('stats: Bearer with no token', stats('?stream=a', { Authorization: 'Bearer ' }), 401, 'UNAUTHORIZED'),
  bad('stats: unknown x-token', stats('?stream=a', { 'x-token': 'wrong-token-1234' }), 401, 'UNAUTHORIZED'),
  bad(
    'stats: token in the query string (WebSocket only)',
    stats('?stream=a&token=hostile-query-token', {}),
    401,
    'UNAUTHORIZED',
  ),
  bad(
    'stats: token with a trailing non-breaking space',
    stats('?stream=a', { Authorization: 'Bearer acme-token-1\u00a0' }),
    401,
    'UNAUTHORIZED',
  ),
  bad(
    'admin reload with a tenant token',
    httpRequest({ method: 'POST', path: '/v1/admin/reload', headers: ACME }),
    403,
    'FORBIDDEN',
  ),
  // Routes and blob ids
  bad('unknown path', httpRequest({ path: '/nope' }), 404, 'NOT_FOUND'),
  bad(
    'wrong method on a known path',
    httpRequest({ method: 'PUT', path: '/v1/enqueue', headers: ACME }),
    404,
    'NOT_FOUND',
  ),
  bad(
    'GET /v1/subscribe without an upgrade',
    httpRequest({ path: '/v1/subscribe?stream=a', headers: ACME }),
    404,
    'NOT_FOUND',
  ),
  bad('blob id unknown', httpRequest({ path: '/v1/blobs/abcdef', headers: ACME }), 404, 'BLOB_NOT_FOUND'),
  bad(
    'blob id with encoded path traversal',
    httpRequest({ path: '/v1/blobs/..%2F..%2Fetc%2Fpasswd', headers: ACME }),
    404,
    'BLOB_NOT_FOUND',
  ),
  bad(
    'blob id over the parameter length limit',
    httpRequest({ path: `/v1/blobs/${'a'.repeat(200)}`, headers: ACME }),
    400,
    'BAD_REQUEST',
  ),
  bad(
    'blob id: a malformed percent escape',
    httpRequest({ path: '/v1/blobs/%E0%A4%A', headers: ACME }),
    400,
    'BAD_REQUEST',
  ),
  // Framing and headers the HTTP server refuses
  bad('not HTTP at all', 'GARBAGE\r\n\r\n', 400, 'BAD_REQUEST'),
  bad('HTTP/1.1 without Host', 'GET /health HTTP/1.1\r\n\r\n', 400, 'BAD_REQUEST'),
  bad('two Host headers', 'GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, 'BAD_REQUEST'),
  { name: 'HTTP/1.0 without Host', send: 'GET /health HTTP/1.0\r\n\r\n', answers: [{ status: 200 }], closes: true },
  bad(
    'Content-Length not a number',
    httpRequest({ path: '/v1/enqueue', headers: { ...JSON_ACME, 'Content-Length': 'abc' } }),
    400,
    'BAD_REQUEST',
  ),
  bad(
    'two different Content-Lengths',
    httpRequest({
      path: '/v1/enqueue',
      headers: { ...JSON_ACME, 'Content-Length': '3', 'content-length': '4' },
      body: 'abcd',
    }),
    400,
    'BAD_REQUEST',
  ),
  bad(
    'Content-Length with Transfer-Encoding',
    httpRequest({
      path: '/v1/enqueue',
      headers: { ...JSON_ACME, 'Transfer-Encoding': 'chunked', 'Content-Length': '5' },
      body: '0\r\n\r\n',
    }),
    400,
    'BAD_REQUEST',
  ),
  bad(
    'a malformed chunk size',
    httpRequest({
      path: '/v1/enqueue',
      headers: { ...JSON_ACME, 'Transfer-Encoding': 'chunked' },
      body: 'zz\r\nabc\r\n0\r\n\r\n',
      noLength: true,
    }),
    400,
    'BAD_REQUEST',
  ),
  bad(
    'a header with a NUL byte',
    httpRequest({ path: '/health', headers: { 'X-Evil': 'a\u0000b' } }),
    400,
    'BAD_REQUEST',
  ),
  bad(
    'an obsolete folded header line',
    'GET /health HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n b\r\n\r\n',
    400,
    'BAD_REQUEST',
  ),
  bad('a request line with bare LF', 'GET /health HTTP/1.1\nHost: x\n\n', 400, 'BAD_REQUEST'),
  bad('an unknown HTTP version', 'GET /health HTTP/9.9\r\nHost: x\r\n\r\n', 400, 'BAD_REQUEST'),
  bad(
    'headers over 16 KiB',
    httpRequest({ path: '/health', headers: { 'X-Big': 'a'.repeat(32 * 1024) } }),
    431,
    'HEADERS_TOO_LARGE',
  ),
  bad('a malformed URL', httpRequest({ path: '/v1/stats/%E0%A4%A', headers: ACME }), 400, 'BAD_REQUEST'),
  {
    name: 'chunked JSON body (valid)',
    send: httpRequest({
      path: '/v1/enqueue',
      headers: { ...JSON_ACME, 'Transfer-Encoding': 'chunked' },
      body: `${ok().length.toString(16)}\r\n${ok()}\r\n0\r\n\r\n`,
      noLength: true,
    }),
    answers: [{ status: 200 }],
    closes: true,
  },
  {
    name: 'a valid enqueue pipelined before garbage: 200, then 400',
    send: Buffer.concat([
      httpRequest({ path: '/v1/enqueue', headers: JSON_ACME, body: ok(), close: false }),
      Buffer.from('GARBAGE\r\n\r\n'),
    ]),
    answers: [{ status: 200 }, { status: 400, code: 'BAD_REQUEST', headers: { connection: 'close' } }],
    closes: true,
  },
  {
    name: 'three pipelined requests, then a refused one',
    send: Buffer.concat([
      httpRequest({ path: '/health', close: false }),
      httpRequest({ path: '/nope', close: false }),
      httpRequest({ path: '/v1/stats?stream=a', headers: ACME, close: false }),
      Buffer.from('GET /health HTTP/1.1\r\n\r\n'),
    ]),
    answers: [
      { status: 200 },
      { status: 404, code: 'NOT_FOUND' },
      { status: 200 },
      { status: 400, code: 'BAD_REQUEST' },
    ],
    closes: true,
  },
  // Early answers to bodies that will not come
  {
    name: 'unknown token, declared 100 MB body never sent: 401 at once',
    send: httpRequest({
      method: 'POST',
      path: '/v1/enqueue',
      headers: {
        Authorization: 'Bearer wrong-token-1234',
        'Content-Type': 'application/json',
        'Content-Length': '104857600',
      },
      close: false,
    }),
    answers: [{ status: 401, code: 'UNAUTHORIZED', headers: { connection: 'close' } }],
    closes: true,
    withinMs: AT_ONCE_MS,
  },
  {
    name: 'unknown path, declared 100 MB body never sent: 404 at once',
    send: httpRequest({ method: 'POST', path: '/nope', headers: { 'Content-Length': '104857600' }, close: false }),
    answers: [{ status: 404, code: 'NOT_FOUND' }],
    closes: true,
    withinMs: AT_ONCE_MS,
  },
  {
    name: 'a chunked body that never ends, no token: 401 at once',
    send: httpRequest({
      path: '/v1/enqueue',
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: '5\r\n{"to"\r\n',
      noLength: true,
      close: false,
    }),
    answers: [{ status: 401, code: 'UNAUTHORIZED' }],
    closes: true,
    withinMs: AT_ONCE_MS,
  },
  {
    name: 'a small declared body not sent in full: read first, then 401 (keep-alive)',
    send: [
      httpRequest({
        path: '/v1/enqueue',
        headers: { 'Content-Type': 'application/json', 'Content-Length': '23' },
        body: '{"to":',
        noLength: true,
        close: false,
      }),
      { pauseMs: 100 },
      '"a","envelope":1}',
      httpRequest({ path: '/health' }),
    ],
    answers: [{ status: 401, code: 'UNAUTHORIZED' }, { status: 200 }],
    closes: true,
  },
  // Expect, CONNECT, transfer codings, request targets
  {
    name: 'Expect: 100-continue on a valid enqueue: 100, then 200',
    send: httpRequest({ path: '/v1/enqueue', headers: { ...JSON_ACME, Expect: '100-continue' }, body: ok() }),
    answers: [{ status: 100 }, { status: 200 }],
    closes: true,
  },
  {
    name: 'Expect: 100-continue with a declared 100 MB body: 100, then 413 at once',
    send: httpRequest({
      path: '/v1/enqueue',
      headers: { ...JSON_ACME, Expect: '100-continue', 'Content-Length': '104857600' },
      method: 'POST',
    }),
    answers: [{ status: 100 }, { status: 413, code: 'PAYLOAD_TOO_LARGE' }],
    closes: true,
    withinMs: AT_ONCE_MS,
  },
  bad(
    'Expect: something else',
    httpRequest({ path: '/v1/enqueue', headers: { ...JSON_ACME, Expect: 'teapot' }, body: ok() }),
    417,
    'EXPECTATION_FAILED',
  ),
  bad(
    'CONNECT (the gateway is not a proxy)',
    'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    400,
    'BAD_REQUEST',
  ),
  bad(
    'Transfer-Encoding gzip, chunked',
    httpRequest({
      path: '/v1/enqueue',
      headers: { ...JSON_ACME, 'Transfer-Encoding': 'gzip, chunked' },
      body: '0\r\n\r\n',
      noLength: true,
    }),
    415,
    'UNSUPPORTED_ENCODING',
  ),
  bad(
    'a negative Content-Length',
    httpRequest({ path: '/v1/enqueue', headers: { ...JSON_ACME, 'Content-Length': '-1' }, method: 'POST' }),
    400,
    'BAD_REQUEST',
  ),
  bad('a space before a header colon', 'GET /health HTTP/1.1\r\nHost : x\r\n\r\n', 400, 'BAD_REQUEST'),
  bad('the HTTP/2 connection preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400, 'BAD_REQUEST'),
  bad('OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 404, 'NOT_FOUND'),
  bad('TRACE', httpRequest({ method: 'TRACE', path: '/health' }), 404, 'NOT_FOUND'),
  {
    name: 'an absolute-form target is served by its path',
    send: httpRequest({ path: 'http://evil.example/health' }),
    answers: [{ status: 200 }],
    closes: true,
  },
  bad(
    'application/vnd.api+json is not application/json',
    enqueue(ok(), { ...ACME, 'Content-Type': 'application/vnd.api+json' }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  ),
];
