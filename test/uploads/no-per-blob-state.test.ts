// The gateway holds no per-blob state: after thousands of uploads (a) no Map, Set or
// Array reachable from the gateway's context has grown, and (b) a heap snapshot holds
// none of the blob ids the gateway handed out (the old in-memory index held every one,
// ~600 bytes per blob). Both checks are exact; measuring heapUsed after GC is not used
// because in one process with the clients its noise (0.1–1 MiB) is as large as the
// signal of 2,000 index entries.
import { getHeapSnapshot } from 'node:v8';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUploadGateway, type UploadGateway } from './fixture.js';

const BLOBS = 2000;
const CONCURRENCY = 16;
const BOUNDARY = 'NoPerBlobState';

/** Entries in every Map, Set and Array reachable from `root` (not through `skip` keys or binary data). */
function collectionEntries(root: object, skip: ReadonlySet<string>): number {
  const seen = new Set<object>();
  let total = 0;
  const visit = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== 'object' || depth > 8 || seen.has(value)) return;
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
    seen.add(value);
    if (value instanceof Map) {
      total += value.size;
      for (const [k, v] of value) {
        visit(k, depth + 1);
        visit(v, depth + 1);
      }
    } else if (value instanceof Set) {
      total += value.size;
      for (const v of value) visit(v, depth + 1);
    } else if (Array.isArray(value)) total += value.length;
    for (const [key, v] of Object.entries(value)) if (!skip.has(key)) visit(v, depth + 1);
  };
  visit(root, 0);
  return total;
}

/**
 * How many of `ids` occur as strings in a heap snapshot of this process. The ids are
 * passed as Buffers (not strings), so the caller's list itself is not in the heap; the
 * snapshot is taken (after a full GC) before the lookup set is built.
 */
async function idsInHeap(ids: Buffer[]): Promise<number> {
  const snapshot = getHeapSnapshot();
  snapshot.setEncoding('utf8');
  const wanted = new Set(ids.map((b) => b.toString()));
  const found = new Set<string>();
  let carry = '';
  for await (const chunk of snapshot as AsyncIterable<string>) {
    const text = carry + chunk;
    for (const m of text.matchAll(/"([A-Za-z0-9_-]{22})"/g)) if (wanted.has(m[1])) found.add(m[1]);
    carry = text.slice(-24);
  }
  return found.size;
}

describe('no per-blob state in the gateway (local store)', () => {
  let g: UploadGateway;
  let agent: Agent;
  beforeAll(async () => {
    g = await startUploadGateway('local', { CONDUIT_MAX_CONCURRENT_UPLOADS_PER_IP: CONCURRENCY });
    agent = new Agent({ connections: CONCURRENCY });
  });
  afterAll(async () => {
    await agent?.close();
    await g?.close();
  });

  /** `n` uploads of one small distinct file each, CONCURRENCY at a time; returns the ids. */
  async function uploadMany(n: number, seedBase: number): Promise<Buffer[]> {
    const ids: Buffer[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < n) {
          const i = seedBase + next++;
          const body =
            `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="file-${i}.txt"\r\n` +
            `Content-Type: text/plain\r\n\r\nblob number ${i}\r\n--${BOUNDARY}--\r\n`;
          const res = await request(`${g.url}/v1/upload`, {
            method: 'POST',
            dispatcher: agent,
            headers: {
              authorization: 'Bearer acme-token',
              'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
            },
            body,
          });
          const json = (await res.body.json()) as { files: Array<{ id: string }> };
          expect(res.statusCode).toBe(201);
          ids.push(Buffer.from(json.files[0].id));
        }
      }),
    );
    return ids;
  }

  it(`stores ${BLOBS} blobs and keeps nothing per blob in memory`, async () => {
    const ctx = g.gw.ctx;
    // Loggers and log streams are not blob state (and are large graphs of their own).
    const skip = new Set(['logger', 'logs', 'stream']);
    await uploadMany(100, 0); // warm-up: JIT, lazy setup, directory creation
    const entriesBefore = collectionEntries(ctx, skip);
    const ids = await uploadMany(BLOBS, 1000);
    const entriesAfter = collectionEntries(ctx, skip);
    expect(new Set(ids.map(String)).size).toBe(BLOBS);
    expect(entriesAfter).toBe(entriesBefore);

    // Self-check of the heap scan: ids this test keeps as strings must be found.
    const witnesses = ids.slice(0, 20).map(String);
    const found = await idsInHeap(ids);
    expect(witnesses).toHaveLength(20);
    expect(found).toBeGreaterThanOrEqual(20);
    // The other 1,980: a handful may still sit in a recently used buffer or cache.
    expect(found - 20).toBeLessThan(20);

    // And the blobs are there: a sample reads back.
    for (const id of [ids[0], ids[BLOBS - 1]].map(String)) {
      const res = await request(`${g.url}/v1/blobs/${id}`, {
        dispatcher: agent,
        headers: { authorization: 'Bearer acme-token' },
      });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toMatch(/^blob number \d+$/);
    }
  }, 120_000); // 2,100 uploads and a heap scan: a hang guard long enough for a machine with busy cores
});
