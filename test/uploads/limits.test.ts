// Every upload limit answers its documented status and code, the client sees it (no
// reset), and a failed request leaves the store and manifest unchanged.
import { PassThrough } from 'node:stream';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { dataStream } from '../blobs/data.js';
import { upload } from './client.js';
import { startUploadGateway, type UploadGateway } from './fixture.js';
import { storeState } from './store-state.js';
import type { EnvSettings } from '../../src/gateway/config/env.js';
import { rawConnection } from '../support/raw-socket.js';
import { until } from '../support/until.js';

let gw: UploadGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});
const start = async (overrides: Partial<EnvSettings> = {}) => (gw = await startUploadGateway('local', overrides));
const inFlight = async (g: UploadGateway) => (await g.uploads()).inFlight;

/** An upload whose file body we feed by hand; resolves when the response arrives. */
function heldUpload(g: UploadGateway, token: string) {
  const body = new PassThrough();
  const done = upload(g.url, token, [{ field: 'f', filename: 'held', size: 1, seed: 0, body }]);
  return { body, done };
}

describe('upload limits', () => {
  it('413 UPLOAD_TOO_LARGE names the tenant limit; earlier parts are rolled back', async () => {
    const g = await start();
    const before = await storeState(g);
    const r = await upload(g.url, 'small-token', [
      { field: 'a', filename: 'ok.bin', size: 500, seed: 1 },
      { field: 'b', filename: 'big.bin', size: 3_000_000, seed: 2 },
    ]);
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'UPLOAD_TOO_LARGE', details: { limit: 1000 } });
    expect(r.body.error.message).toContain('1000 bytes');
    expect(await storeState(g)).toEqual(before);
  });

  it('the part size limit is the smaller of CONDUIT_MULTIPART_MAX_PART_SIZE and the tenant max', async () => {
    const g = await start({ CONDUIT_MULTIPART_MAX_PART_SIZE: 50_000 });
    expect((await upload(g.url, 'acme-token', [{ field: 'f', filename: 'x', size: 50_000, seed: 3 }])).status).toBe(
      201,
    );
    const r = await upload(g.url, 'acme-token', [{ field: 'f', filename: 'x', size: 50_001, seed: 3 }]);
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'UPLOAD_TOO_LARGE', details: { limit: 50_000 } });
  });

  it('413 TOO_MANY_PARTS, with the stored parts rolled back', async () => {
    const g = await start({ CONDUIT_MULTIPART_MAX_PARTS: 3 });
    const before = await storeState(g);
    const parts = Array.from({ length: 5 }, (_, i) => ({
      field: `f${i}`,
      filename: `f${i}`,
      size: 2000,
      seed: 10 + i,
    }));
    const r = await upload(g.url, 'acme-token', parts);
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'TOO_MANY_PARTS', details: { limit: 3 } });
    expect(await storeState(g)).toEqual(before);
  });

  it('413 TOO_MANY_FIELDS', async () => {
    const g = await start({ CONDUIT_MULTIPART_MAX_FIELDS: 2 });
    const r = await upload(g.url, 'acme-token', [
      { field: 'a', value: '1' },
      { field: 'b', value: '2' },
      { field: 'c', value: '3' },
    ]);
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'TOO_MANY_FIELDS', details: { limit: 2 } });
  });

  it('415 for a non-multipart body, seen by the client even with a large body', async () => {
    const g = await start();
    const json = await request(`${g.url}/v1/upload`, {
      method: 'POST',
      headers: { authorization: 'Bearer acme-token', 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(json.statusCode).toBe(415);
    expect(((await json.body.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const big = await request(`${g.url}/v1/upload`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer acme-token',
        'content-type': 'application/octet-stream',
        'content-length': '20000000',
      },
      body: dataStream(20_000_000, 4),
    });
    expect(big.statusCode).toBe(415);
    expect(((await big.body.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('400 MALFORMED_MULTIPART for a truncated body and for a missing boundary', async () => {
    const g = await start();
    const before = await storeState(g);
    // A body that ends mid-part (no closing boundary), sent whole with a matching length.
    const body = '--XyZ\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\nsome bytes and then nothing';
    const truncated = await request(`${g.url}/v1/upload`, {
      method: 'POST',
      headers: { authorization: 'Bearer acme-token', 'content-type': 'multipart/form-data; boundary=XyZ' },
      body,
    });
    expect(truncated.statusCode).toBe(400);
    expect(((await truncated.body.json()) as { error: { code: string } }).error.code).toBe('MALFORMED_MULTIPART');
    const noBoundary = await request(`${g.url}/v1/upload`, {
      method: 'POST',
      headers: { authorization: 'Bearer acme-token', 'content-type': 'multipart/form-data' },
      body: 'whatever',
    });
    expect(noBoundary.statusCode).toBe(400);
    expect(((await noBoundary.body.json()) as { error: { code: string } }).error.code).toBe('MALFORMED_MULTIPART');
    expect(await storeState(g)).toEqual(before);
  });

  it('503 UPLOAD_CAPACITY + Retry-After at the tenant cap', async () => {
    const g = await start();
    const held = heldUpload(g, 'small-token'); // tenant "small": maxConcurrentUploads 1
    held.body.write('x');
    await until(async () => (await inFlight(g)) === 1, 5000, 'the held upload to start');
    const r = await upload(g.url, 'small-token', [{ field: 'f', filename: 'x', size: 10, seed: 5 }]);
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.body.error).toMatchObject({ code: 'UPLOAD_CAPACITY', details: { cap: 'tenant', limit: 1 } });
    // Another tenant is not affected by this tenant's cap.
    expect((await upload(g.url, 'acme-token', [{ field: 'f', filename: 'x', size: 10, seed: 5 }])).status).toBe(201);
    held.body.end();
    expect((await held.done).status).toBe(201);
  });

  it('503 UPLOAD_CAPACITY at the per-IP and global caps; a rejected 10 MB body still gets its status', async () => {
    const g = await start({ CONDUIT_MAX_CONCURRENT_UPLOADS_PER_IP: 1 });
    const held = heldUpload(g, 'acme-token');
    held.body.write('x');
    await until(async () => (await inFlight(g)) === 1, 5000, 'the held upload to start');
    const r = await upload(g.url, 'acme-token', [{ field: 'f', filename: 'x', size: 10_000_000, seed: 6 }]);
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ code: 'UPLOAD_CAPACITY', details: { cap: 'ip' } });
    held.body.end();
    await held.done;
    await gw!.close();

    const g2 = await start({ CONDUIT_MAX_CONCURRENT_UPLOADS: 1 });
    const held2 = heldUpload(g2, 'acme-token');
    held2.body.write('x');
    await until(async () => (await inFlight(g2)) === 1, 5000, 'the held upload to start');
    const r2 = await upload(g2.url, 'small-token', [{ field: 'f', filename: 'x', size: 10, seed: 7 }]);
    expect(r2.body.error).toMatchObject({ code: 'UPLOAD_CAPACITY', details: { cap: 'global', limit: 1 } });
    held2.body.end();
    await held2.done;
  });

  it('a client abort mid-upload leaves the store and manifest unchanged', async () => {
    const g = await start();
    await upload(g.url, 'acme-token', [{ field: 'f', filename: 'kept', size: 1000, seed: 8 }]);
    const before = await storeState(g);
    expect(before.manifest.split('\n').filter(Boolean)).toHaveLength(1);
    // Send a head of a large file over a raw socket, then cut the connection.
    const boundary = 'AbOrT';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="cut.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const sock = await rawConnection(g.url);
    await sock.write(
      `POST /v1/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer acme-token\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 10000000\r\n\r\n${head}`,
    );
    for await (const chunk of dataStream(3_000_000, 9)) await sock.write(chunk);
    await until(async () => (await inFlight(g)) === 1, 5000, 'the upload to start');
    sock.socket.destroy();
    await until(async () => (await inFlight(g)) === 0, 5000, 'the server to notice the abort');
    expect(await storeState(g)).toEqual(before);
    expect((await g.uploads()).rejected.client_aborted).toBe(1);
  });
});
