// 100 concurrent uploads of mixed sizes (1 KB … 10 MB) through real sockets, on both
// backends: every returned sha256 equals the client's, every blob reads back byte-exact.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataSha256, streamSha256 } from '../blobs/data.js';
import { upload } from './client.js';
import { startUploadGateway, type BackendName, type UploadGateway } from './fixture.js';

const SIZES = [1_000, 10_000, 100_000, 1_000_000, 5_000_000, 10_000_000];
const N = 100;
// ~270 MB up and back per backend: a hang guard long enough for a machine with busy cores (time is not what it tests).
const VOLUME_TIMEOUT_MS = 120_000;

// Expected digests, computed once by streaming the same deterministic data.
const expected = new Map<number, string>();
beforeAll(async () => {
  for (let i = 0; i < N; i++) expected.set(i, await dataSha256(SIZES[i % SIZES.length], i));
});

for (const backend of (process.env.ONLY ? [process.env.ONLY] : ['local', 's3']) as BackendName[]) {
  describe(`100 concurrent uploads (${backend})`, () => {
    let gw: UploadGateway;
    beforeAll(async () => {
      gw = await startUploadGateway(backend, {
        CONDUIT_MAX_CONCURRENT_UPLOADS: N,
        CONDUIT_MAX_CONCURRENT_UPLOADS_PER_IP: N,
      });
    });
    afterAll(async () => {
      await gw?.close();
    });

    it(
      'stores every file intact and reads every one back byte-exact',
      async () => {
        const results = await Promise.all(
          Array.from({ length: N }, (_, i) =>
            upload(gw.url, 'acme-token', [
              { field: 'note', value: `upload ${i}` },
              {
                field: 'file',
                filename: `f${i}.bin`,
                size: SIZES[i % SIZES.length],
                seed: i,
                mime: 'application/x-test',
              },
            ]),
          ),
        );
        for (const [i, r] of results.entries()) {
          expect(r.status, JSON.stringify(r.body)).toBe(201);
          expect(r.body.fields).toEqual({ note: `upload ${i}` });
          expect(r.body.files).toEqual([
            {
              id: expect.any(String),
              field: 'file',
              filename: `f${i}.bin`,
              size: SIZES[i % SIZES.length],
              sha256: expected.get(i),
              mime: 'application/x-test',
            },
          ]);
        }
        expect(new Set(results.map((r) => r.body.files[0].id)).size).toBe(N);

        // Read back, 20 at a time (bounded memory: each is hashed while streaming).
        for (let start = 0; start < N; start += 20) {
          await Promise.all(
            results.slice(start, start + 20).map(async (r, k) => {
              const i = start + k;
              const res = await request(`${gw.url}/v1/blobs/${r.body.files[0].id}`, {
                headers: { authorization: 'Bearer acme-token' },
              });
              expect(res.statusCode).toBe(200);
              expect(res.headers.etag).toBe(`"${expected.get(i)}"`);
              expect(res.headers['content-length']).toBe(String(SIZES[i % SIZES.length]));
              expect(res.headers['content-type']).toBe('application/x-test');
              expect(await streamSha256(res.body)).toEqual({ sha256: expected.get(i), size: SIZES[i % SIZES.length] });
            }),
          );
        }
        const m = await gw.uploads();
        expect(m.inFlight).toBe(0);
        expect(m.files).toBe(N);
      },
      VOLUME_TIMEOUT_MS,
    );
  });
}
