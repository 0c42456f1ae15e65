// GET /v1/blobs/:id (ETag, tenant scope, 404), traversal filenames, the HTTP log fields,
// an abort on the S3 backend, and the Prometheus series.
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataSha256, dataStream } from '../blobs/data.js';
import { upload } from './client.js';
import { startUploadGateway, type BackendName, type UploadGateway } from './fixture.js';
import { storeState } from './store-state.js';
import { until } from '../support/until.js';

const get = (g: UploadGateway, id: string, token: string, headers: Record<string, string> = {}) =>
  request(`${g.url}/v1/blobs/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}`, ...headers } });

for (const backend of ['local', 's3'] as BackendName[]) {
  describe(`GET /v1/blobs/:id (${backend})`, () => {
    let g: UploadGateway;
    beforeAll(async () => {
      g = await startUploadGateway(backend);
    });
    afterAll(async () => {
      await g?.close();
    });

    it('is tenant-scoped: another tenant gets 404 BLOB_NOT_FOUND', async () => {
      const r = await upload(g.url, 'acme-token', [
        { field: 'f', filename: 'a.txt', size: 500, seed: 1, mime: 'text/plain' },
      ]);
      expect(r.status).toBe(201);
      const id = r.body.files[0].id as string;
      const mine = await get(g, id, 'acme-token');
      expect(mine.statusCode).toBe(200);
      await mine.body.dump();
      const theirs = await get(g, id, 'small-token');
      expect(theirs.statusCode).toBe(404);
      expect(await theirs.body.json()).toMatchObject({ error: { code: 'BLOB_NOT_FOUND' } });
    });

    it('404 for unknown and malformed ids; 304 for a matching If-None-Match', async () => {
      for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', '..%2F..%2Fmanifest.jsonl', 'x']) {
        const res = await get(g, id, 'acme-token');
        expect(res.statusCode).toBe(404);
        await res.body.dump();
      }
      const r = await upload(g.url, 'acme-token', [{ field: 'f', filename: 'b', size: 100, seed: 2 }]);
      const res = await get(g, r.body.files[0].id, 'acme-token', { 'if-none-match': `"${r.body.files[0].sha256}"` });
      expect(res.statusCode).toBe(304);
      expect(res.headers.etag).toBe(`"${await dataSha256(100, 2)}"`);
      await res.body.dump();
    });

    it('a client abort mid-upload leaves the store unchanged', async () => {
      const before = await storeState(g);
      const ac = new AbortController();
      // The file body is fed by hand, so the abort surely lands mid-stream: 6 MB of 8.
      const body = new PassThrough();
      const pending = upload(g.url, 'acme-token', [{ field: 'f', filename: 'cut', size: 8_000_000, seed: 3, body }], {
        signal: ac.signal,
      });
      for await (const chunk of dataStream(6_000_000, 3)) if (!body.write(chunk)) await once(body, 'drain');
      await until(async () => (await g.uploads()).inFlight === 1, 5000, 'upload start');
      ac.abort();
      await expect(pending).rejects.toThrow();
      await until(async () => (await g.uploads()).inFlight === 0, 5000, 'abort noticed');
      expect(await storeState(g)).toEqual(before);
    });
  });
}

describe('filenames and logs (local)', () => {
  let g: UploadGateway;
  beforeAll(async () => {
    g = await startUploadGateway('local');
  });
  afterAll(async () => {
    await g?.close();
  });

  it('never lets a client filename reach the filesystem', async () => {
    const names = ['../../../../tmp/evil.txt', '..\\..\\evil.ini', '/etc/passwd', '....//....//x', 'ok name.txt'];
    const r = await upload(
      g.url,
      'acme-token',
      names.map((filename, i) => ({ field: `f${i}`, filename, size: 100 + i, seed: 20 + i })),
    );
    expect(r.status).toBe(201);
    expect(r.body.files).toHaveLength(names.length);
    const onDisk = (await readdir(g.dir, { recursive: true })).map(String);
    const ids = `(${r.body.files.map((f: { id: string }) => f.id).join('|')})`;
    const allowed = new RegExp(
      `^(manifest\\.jsonl|layout|tmp|objects(/[0-9a-f]{2}(/[0-9a-f]{2}(/[0-9a-f]{64})?)?)?|by-id(/acme(/[A-Za-z0-9_-]{2}(/${ids}(\\.json)?)?)?)?)$`,
    );
    for (const f of onDisk) expect(f).toMatch(allowed);
    expect(onDisk.filter((f) => /[0-9a-f]{64}$/.test(f))).toHaveLength(names.length);
    expect(onDisk.filter((f) => f.endsWith('.json'))).toHaveLength(names.length);
  });

  it('puts sha256, bytes and MB/s in the request log line, and counts in Prometheus', async () => {
    const r = await upload(g.url, 'acme-token', [{ field: 'f', filename: 'x', size: 2_000_000, seed: 30 }]);
    let line: Record<string, unknown> | undefined;
    await until(
      async () => {
        line = (await g.httpLog()).find((l) => l.sha256 === r.body.files[0].sha256);
        return line !== undefined;
      },
      5000,
      'the upload log line',
    );
    expect(line).toMatchObject({
      method: 'POST',
      status: 201,
      tenant: 'acme',
      uploadBytes: 2_000_000,
      uploadMBps: expect.any(Number),
    });
    const text = await g.prometheus();
    expect(text).toMatch(/conduit_upload_bytes_total \d+/);
    expect(text).toContain('conduit_uploads_in_flight 0');
  });
});
