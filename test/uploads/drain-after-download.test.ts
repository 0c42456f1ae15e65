// After large streamed responses (GET /v1/blobs/:id) on keep-alive connections, a drain
// and close must finish promptly: no server socket may stay paused or counted in flight.
import type { Socket } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { dataSha256, streamSha256 } from '../blobs/data.js';
import { upload } from './client.js';
import { startUploadGateway, type UploadGateway } from './fixture.js';

const SIZE = 16 * 1024 * 1024; // under the acme tenant's 20 MiB cap
// "Promptly" means long before the drain timeout: a drain or close that waited for a
// socket would take all of it. A fraction of it, not an absolute bound, so a loaded
// machine cannot fail the test.
const DRAIN_TIMEOUT_MS = 30_000;
const PROMPT_MS = DRAIN_TIMEOUT_MS / 3;
let g: UploadGateway | undefined;
const agents: Agent[] = [];
const newAgent = (opts: Agent.Options) => {
  const a = new Agent({ keepAliveTimeout: 60_000, ...opts });
  agents.push(a);
  return a;
};
afterEach(async () => {
  await g?.close();
  g = undefined;
  await Promise.all(agents.splice(0).map((a) => a.destroy()));
});

describe('drain after large downloads', () => {
  it('drains and closes promptly while the clients keep their connections open', async () => {
    g = await startUploadGateway('local', { CONDUIT_DRAIN_TIMEOUT_MS: DRAIN_TIMEOUT_MS });
    const up = await upload(g.url, 'acme-token', [{ field: 'f', filename: 'big.bin', size: SIZE, seed: 9 }]);
    expect(up.status).toBe(201);
    const id = up.body.files[0].id as string;
    const expected = await dataSha256(SIZE, 9);

    // Several downloads at once, then again on the same kept-alive connections, then
    // pipelined on one connection: the server pauses reading a socket whose response
    // is still buffered when the next request arrives, and must resume it.
    const sockets = new Set<Socket>();
    g.gw.http.server.on('connection', (s: Socket) => sockets.add(s));
    const parallel = newAgent({ connections: 4 });
    const pipelined = newAgent({ connections: 1, pipelining: 4 });
    for (const agent of [parallel, parallel, pipelined]) {
      const results = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const res = await request(`${g!.url}/v1/blobs/${id}`, {
            method: 'GET',
            headers: { authorization: 'Bearer acme-token' },
            dispatcher: agent,
          });
          expect(res.statusCode).toBe(200);
          return streamSha256(res.body);
        }),
      );
      for (const r of results) expect(r).toEqual({ sha256: expected, size: SIZE });
    }
    // Every kept-alive server socket is reading again (none left paused by backpressure).
    const open = [...sockets].filter((s) => !s.destroyed);
    expect(open.length).toBe(5);
    for (const s of open) expect(s.isPaused()).toBe(false);

    const t0 = Date.now();
    const result = await g.gw.drain();
    const drainMs = Date.now() - t0;
    expect(result).toEqual({ drained: true, inflight: 0 });
    expect(drainMs).toBeLessThan(PROMPT_MS);

    const t1 = Date.now();
    await g.gw.close();
    expect(Date.now() - t1).toBeLessThan(PROMPT_MS);
    expect(g.gw.http.server.listening).toBe(false);
  });

  it('drains promptly when a client stops reading a download halfway and goes away', async () => {
    g = await startUploadGateway('local', { CONDUIT_DRAIN_TIMEOUT_MS: DRAIN_TIMEOUT_MS });
    const up = await upload(g.url, 'acme-token', [{ field: 'f', filename: 'big.bin', size: SIZE, seed: 10 }]);
    const id = up.body.files[0].id as string;
    const res = await request(`${g.url}/v1/blobs/${id}`, {
      headers: { authorization: 'Bearer acme-token' },
      dispatcher: newAgent({ connections: 1 }),
    });
    let seen = 0;
    for await (const chunk of res.body) {
      seen += (chunk as Buffer).length;
      if (seen > 1024 * 1024) break; // stop reading: the body is destroyed, the socket closed
    }
    const t0 = Date.now();
    const result = await g.gw.drain();
    expect(result.drained).toBe(true);
    expect(Date.now() - t0).toBeLessThan(PROMPT_MS);
    const t1 = Date.now();
    await g.gw.close();
    expect(Date.now() - t1).toBeLessThan(PROMPT_MS);
  });

  it('a download whose client stops reading but stays connected holds the drain until its timeout; close() then cuts it at once', async () => {
    g = await startUploadGateway('local', { CONDUIT_DRAIN_TIMEOUT_MS: DRAIN_TIMEOUT_MS });
    const up = await upload(g.url, 'acme-token', [{ field: 'f', filename: 'big.bin', size: SIZE, seed: 11 }]);
    const id = up.body.files[0].id as string;
    const res = await request(`${g.url}/v1/blobs/${id}`, {
      headers: { authorization: 'Bearer acme-token' },
      dispatcher: newAgent({ connections: 1 }),
    });
    expect(res.statusCode).toBe(200);
    // Read nothing: the response stalls on backpressure with most of its bytes unsent.
    const result = await g.gw.drain(300);
    expect(result).toEqual({ drained: false, inflight: 1 });
    const t1 = Date.now();
    await g.gw.close();
    expect(Date.now() - t1).toBeLessThan(PROMPT_MS);
    await res.body.dump().catch(() => undefined); // the connection was cut: the body errors or ends short
  });
});
