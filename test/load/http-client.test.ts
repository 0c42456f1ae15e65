// HttpClient (the generator's own HTTP/1.1 client) over real sockets on port 0:
// keep-alive reuse, the connection cap, bodies in every shape, early answers, a
// server closing kept-alive sockets, timeouts, aborts, close/destroy, bad input.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyError, HttpClient, Metrics } from '../../src/load/index.js';
import { closedPort } from '../support/ports.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A node:http server on port 0; `sockets` counts the connections it accepted. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void) {
  const seen: Seen[] = [];
  let sockets = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(entry);
      handle(req, res, entry);
    });
  });
  server.on('connection', () => sockets++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise((r) => server.close(r)).then(() => server.closeAllConnections()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url, seen, sockets: () => sockets };
}

/** A raw TCP server for answers node:http would never give. */
async function rawServer(onData: (socket: net.Socket, data: Buffer, nth: number) => void) {
  const sockets = new Set<net.Socket>();
  let nth = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (data) => onData(socket, data, nth++));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(url: string, options: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) {
  const metrics = new Metrics();
  const c = new HttpClient({ url, metrics, ...options });
  closers.push(() => c.destroy());
  return c;
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('HttpClient', () => {
  it('reuses one keep-alive socket for sequential requests and parses JSON answers', async () => {
    const t = await serve((req, res, seen) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ echo: seen.body, path: req.url }));
    });
    const c = client(t.url, { token: 'secret' });
    for (let i = 0; i < 5; i++) {
      const out = await c.request<{ echo: string; path: string }>({
        method: 'POST',
        path: `/e?i=${i}`,
        headers: { 'content-type': 'application/json' },
        body: `{"i":${i}}`,
      });
      expect(out).toEqual({ ok: true, status: 200, body: { echo: `{"i":${i}}`, path: `/e?i=${i}` } });
    }
    expect(t.sockets()).toBe(1);
    expect(t.seen[0].headers).toMatchObject({
      authorization: 'Bearer secret',
      'content-length': '7',
      host: new URL(t.url).host,
    });
    const snap = c.metrics.snapshot();
    expect(snap.statusCodes).toEqual({ '200': 5 });
    expect(snap.counters.bytesSent).toBe(35);
    expect(snap.counters.bytesReceived).toBeGreaterThan(5 * 20);
  });

  it('opens at most `connections` sockets and queues the rest', async () => {
    const t = await serve((_req, res) => res.end('ok'));
    const c = client(t.url, { connections: 3 });
    const outs = await Promise.all(Array.from({ length: 20 }, () => c.request({ method: 'GET', path: '/' })));
    expect(outs.every((o) => o.ok && o.status === 200 && o.body === undefined)).toBe(true);
    expect(t.sockets()).toBe(3);
    expect(c.pool.stats).toEqual({ open: 3, idle: 3, busy: 0, queued: 0 });
  });

  it('reads chunked answers and sends streamed bodies with a declared length or chunked', async () => {
    const t = await serve((_req, res, seen) => {
      res.setHeader('content-type', 'application/json');
      res.write('{"len":');
      res.end(`${seen.body.length},"te":${JSON.stringify(seen.headers['transfer-encoding'] ?? null)}}`);
    });
    const c = client(t.url);
    const parts = ['a'.repeat(70_000), 'b'.repeat(5), 'c'.repeat(1)];
    const declared = await c.request({
      method: 'PUT',
      path: '/',
      body: Readable.from(parts.map((p) => Buffer.from(p))),
      bodyBytes: 70_006,
    });
    expect(declared.body).toEqual({ len: 70_006, te: null });
    const chunked = await c.request({ method: 'PUT', path: '/', body: parts.map((p) => Buffer.from(p)) });
    expect(chunked.body).toEqual({ len: 70_006, te: 'chunked' });
    const bytes = await c.request({ method: 'POST', path: '/', body: Buffer.from('xyz') });
    expect(bytes.body).toEqual({ len: 3, te: null });
    expect(t.seen[0].body).toBe(parts.join(''));
    expect(c.metrics.counter('bytesSent')).toBe(2 * 70_006 + 3);
  });

  it('keeps a JSON body that arrives over several reads intact (the read buffer is reused)', async () => {
    const body = JSON.stringify({ a: 'x'.repeat(5000), b: [1, 2, 3] });
    const url = await rawServer((socket) => {
      socket.write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 3000)}`,
      );
      // The rest a moment later, so it comes in a second read into the same buffer.
      setTimeout(() => socket.write(body.slice(3000)), 30);
    });
    const c = client(url);
    expect((await c.request({ method: 'GET', path: '/' })).body).toEqual(JSON.parse(body));
  });

  it('a stream that does not match its declared length fails the request', async () => {
    const t = await serve((_req, res) => res.end('ok'));
    const c = client(t.url);
    const error = await rejection(c.request({ method: 'PUT', path: '/', body: [Buffer.from('abc')], bodyBytes: 10 }));
    expect(error.code).toBe('CONTENT_LENGTH_MISMATCH');
  });

  it('sees an answer that comes before the body was sent (an early 413) and does not reuse that socket', async () => {
    const url = await rawServer((socket, _data, nth) => {
      if (nth === 0)
        socket.end(
          'HTTP/1.1 413 Payload Too Large\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n{"big":true}',
        );
    });
    const c = client(url);
    async function* endless() {
      for (;;) yield Buffer.alloc(64 * 1024);
    }
    const out = await c.request({ method: 'POST', path: '/upload', body: endless(), bodyBytes: 1e9 });
    expect(out).toMatchObject({ ok: false, status: 413, error: 'HTTP_4XX', body: { big: true } });
    expect(c.pool.stats.open).toBe(0);
    // bytesSent counts what was written before the answer, not the declared gigabyte.
    expect(c.metrics.counter('bytesSent')).toBeGreaterThan(0);
    expect(c.metrics.counter('bytesSent')).toBeLessThan(1e8);
  });

  it('counts 429/503 as rejected, other errors by class', async () => {
    const t = await serve((req, res) => {
      res.statusCode = Number(req.url!.slice(1));
      res.end();
    });
    const c = client(t.url);
    expect(await c.request({ method: 'GET', path: '/429' })).toMatchObject({
      ok: false,
      rejected: true,
      error: 'HTTP_429',
    });
    expect(await c.request({ method: 'GET', path: '/503' })).toMatchObject({
      ok: false,
      rejected: true,
      error: 'HTTP_503',
    });
    expect(await c.request({ method: 'GET', path: '/500' })).toMatchObject({ ok: false, error: 'HTTP_5XX' });
    expect(await c.request({ method: 'HEAD', path: '/204' })).toMatchObject({ ok: true, status: 204 });
  });

  it('sends an idempotent request again when a kept-alive socket closes under it; a POST fails', async () => {
    // Answers the first request on each socket, then closes the socket when the next arrives.
    const perSocket = new WeakMap<net.Socket, number>();
    const url = await rawServer((socket) => {
      const n = (perSocket.get(socket) ?? 0) + 1;
      perSocket.set(socket, n);
      if (n === 1) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      else socket.destroy();
    });
    const c = client(url, { connections: 1 });
    expect((await c.request({ method: 'GET', path: '/' })).status).toBe(200);
    expect((await c.request({ method: 'GET', path: '/' })).status).toBe(200); // resent on a new socket
    const error = await rejection(c.request({ method: 'POST', path: '/', body: '{}' }));
    expect(classifyError(error)).toMatch(/^(SOCKET_CLOSED|ECONNRESET)$/);
  });

  it('retires idle sockets before the server keep-alive timeout closes them', async () => {
    const t = await serve((_req, res) => res.end('ok'));
    t.server.keepAliveTimeout = 1500; // the server sends Keep-Alive: timeout=1 and closes after 1.5 s
    const connected = once(t.server, 'connection') as Promise<[net.Socket]>;
    const c = client(t.url);
    await c.request({ method: 'GET', path: '/' });
    const [serverSide] = await connected;
    let clientClosedFirst = false;
    serverSide.on('end', () => (clientClosedFirst = true)); // a FIN from the client; the server's own timeout destroys without one
    await once(serverSide, 'close');
    // The client's FIN came first: it closed the idle socket before the server's 1.5 s timer did.
    expect(clientClosedFirst).toBe(true);
    expect(c.pool.stats.open).toBe(0);
    expect((await c.request({ method: 'GET', path: '/' })).status).toBe(200);
  });

  it('times out a response head that never comes (TIMEOUT) and keeps serving', async () => {
    const t = await serve((req, res) => {
      if (req.url !== '/never') res.end('ok');
    });
    const c = client(t.url, { headersTimeoutMs: 200 });
    const started = performance.now();
    const error = await rejection(c.request({ method: 'GET', path: '/never' }));
    expect(error.name).toBe('TimeoutError');
    expect(classifyError(error)).toBe('TIMEOUT');
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(performance.now() - started).toBeLessThan(200 * 10); // ended by its 200 ms timeout, not never
    expect((await c.request({ method: 'GET', path: '/' })).status).toBe(200);
  });

  it('aborts in-flight and queued requests with their signal; others go on', async () => {
    const t = await serve((req, res) => {
      if (req.url !== '/hang') res.end('ok');
    });
    const c = client(t.url, { connections: 1 });
    const controller = new AbortController();
    const inFlight = rejection(c.request({ method: 'GET', path: '/hang', signal: controller.signal }));
    const queued = rejection(c.request({ method: 'GET', path: '/', signal: controller.signal }));
    await once(t.server, 'request');
    expect(c.pool.stats).toMatchObject({ busy: 1, queued: 1 });
    controller.abort();
    expect((await inFlight).name).toBe('AbortError');
    expect((await queued).name).toBe('AbortError');
    expect((await rejection(c.request({ method: 'GET', path: '/', signal: controller.signal }))).name).toBe(
      'AbortError',
    );
    expect((await c.request({ method: 'GET', path: '/' })).status).toBe(200);
  });

  it('close() lets in-flight requests finish and refuses new ones; destroy() fails them', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = await serve((req, res) => {
      if (req.url === '/slow') void gate.then(() => res.end('late'));
      else res.end('ok');
    });
    const c = client(t.url);
    const slow = c.request({ method: 'GET', path: '/slow' });
    await once(t.server, 'request');
    const closed = c.close();
    expect((await rejection(c.request({ method: 'GET', path: '/' }))).code).toBe('CLIENT_CLOSED');
    release();
    expect((await slow).status).toBe(200);
    await closed;
    expect(c.pool.stats.open).toBe(0);

    const d = client(t.url);
    const hanging = rejection(d.request({ method: 'GET', path: '/never-answered-hang' }));
    await once(t.server, 'request');
    await d.destroy();
    expect((await hanging).code).toBe('CLIENT_DESTROYED');
  });

  it('types transport failures: refused, malformed answers, closed mid-body', async () => {
    const refused = client(`http://127.0.0.1:${await closedPort()}`);
    expect(classifyError(await rejection(refused.request({ method: 'GET', path: '/' })))).toBe('ECONNREFUSED');
    const garbage = await rawServer((socket) => socket.write('HTTP/9 what\r\n\r\n'));
    expect((await rejection(client(garbage).request({ method: 'GET', path: '/' }))).code).toBe('HTTP_PARSE_ERROR');
    const cut = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort'));
    expect(classifyError(await rejection(client(cut).request({ method: 'GET', path: '/' })))).toBe('SOCKET_CLOSED');
    const untilClose = await rawServer((socket) =>
      socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{"a":1}'),
    );
    expect(await client(untilClose).request({ method: 'GET', path: '/' })).toEqual({
      ok: true,
      status: 200,
      body: { a: 1 },
    });
  });

  it('loads an https: target, verifying its certificate', async () => {
    const tls = {
      key: readFileSync(new URL('./fixtures/tls/key.pem', import.meta.url)),
      cert: readFileSync(new URL('./fixtures/tls/cert.pem', import.meta.url)),
    };
    let sockets = 0;
    const server = createHttpsServer(tls, (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"secure":true}');
    });
    server.on('secureConnection', () => sockets++);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => new Promise((r) => server.close(r)).then(() => server.closeAllConnections()));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const trusted = client(url, { tls: { ca: tls.cert } });
    for (let i = 0; i < 3; i++)
      expect(await trusted.request({ method: 'GET', path: '/' })).toEqual({
        ok: true,
        status: 200,
        body: { secure: true },
      });
    expect(sockets).toBe(1);
    const untrusted = client(url);
    const error = await rejection(untrusted.request({ method: 'GET', path: '/' }));
    expect(error.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
  });

  it('refuses header values and paths that would break the request framing', async () => {
    const c = client('http://127.0.0.1:9');
    await expect(c.request({ method: 'GET', path: '/', headers: { 'x-a': 'b\r\nx-evil: 1' } })).rejects.toThrow(
      /CR, LF/,
    );
    await expect(c.request({ method: 'GET', path: '/a b' })).rejects.toThrow(/invalid request path/);
    await expect(c.request({ method: 'G ET', path: '/' })).rejects.toThrow(/invalid HTTP method/);
    expect(c.pool.stats.open).toBe(0);
  });
});
