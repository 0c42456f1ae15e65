// Early answers (before the body is read) must reach the client: the gateway reads and
// discards the rest of the body instead of resetting the connection under the client.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, TWO_TENANTS, type TestGateway } from './helpers.js';

const open: TestGateway[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()));
});

/** Send a request with a `size`-byte body over a raw socket, written in chunks; collect the answer. */
function rawPost(base: string, path: string, size: number, headers: Record<string, string>) {
  const { hostname, port } = new URL(base);
  return new Promise<{ text: string; error?: string }>((resolve) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    let error: string | undefined;
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => resolve({ text, error }));
    const head = [
      `POST ${path} HTTP/1.1`,
      `Host: ${hostname}`,
      `Content-Length: ${size}`,
      'Connection: close',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

describe('early answers with an unread body', () => {
  it('413 on Content-Length reaches a client still sending', async () => {
    const g = await startGateway({ env: { CONDUIT_MAX_JSON_SIZE: 1024 } });
    open.push(g);
    const res = await rawPost(g.httpUrl, '/v1/enqueue', 16 * 1024 * 1024, { 'content-type': 'application/json' });
    expect(res.text).toMatch(/^HTTP\/1\.1 413/);
    expect(res.text).toContain('"PAYLOAD_TOO_LARGE"');
    expect(res.error).toBeUndefined();
  });

  it('401 before the body reaches a client still sending', async () => {
    const g = await startGateway({ yaml: TWO_TENANTS });
    open.push(g);
    const res = await rawPost(g.httpUrl, '/v1/enqueue', 16 * 1024 * 1024, { 'content-type': 'application/json' });
    expect(res.text).toMatch(/^HTTP\/1\.1 401/);
    expect(res.text).toContain('"UNAUTHORIZED"');
    expect(res.error).toBeUndefined();
  });
});
