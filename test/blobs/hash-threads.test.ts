// The local store's sha256 with and without its hashing pool (CONDUIT_BLOB_HASH_THREADS):
// the same digests either way, the pool owned and closed by the store, and a part whose
// request is aborted mid-stream leaves no temp file and no hashing job.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalBlobStore, TMP_DIR } from '../../src/gateway/blobs/index.js';
import { envDefaults } from '../../src/gateway/config/env.js';
import { dataSha256, dataStream } from './data.js';
import { until } from '../support/until.js';

const logger = pino({ level: 'silent' });
let dir: string;
const stores: LocalBlobStore[] = [];
const open = async (hashThreads?: number) => {
  const store = await LocalBlobStore.open({ dir, logger, ...(hashThreads === undefined ? {} : { hashThreads }) });
  stores.push(store);
  return store;
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conduit-hashthreads-'));
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

const input = (seed: number, size: number, signal?: AbortSignal) => ({
  tenant: 't1',
  filename: 'f.bin',
  mime: 'application/octet-stream',
  body: dataStream(size, seed),
  maxBytes: 8 << 20,
  ...(signal ? { signal } : {}),
});

describe('LocalBlobStore hashing', () => {
  it('CONDUIT_BLOB_HASH_THREADS is unset (auto) by default and accepts 0', () => {
    expect(envDefaults({}).CONDUIT_BLOB_HASH_THREADS).toBeUndefined();
    expect(envDefaults({ CONDUIT_BLOB_HASH_THREADS: 0 }).CONDUIT_BLOB_HASH_THREADS).toBe(0);
  });

  for (const threads of [0, 1, 2]) {
    it(`gives every blob the sha256 of its bytes with ${threads} hashing threads`, async () => {
      const store = await open(threads);
      expect(store.hashing.threads).toBe(threads);
      const sizes = [0, 1, 1024 * 1024 + 5, 3 * 1024 * 1024];
      const metas = await Promise.all(sizes.map((size, i) => store.put(input(i + 10, size))));
      for (const [i, meta] of metas.entries()) {
        expect(meta.size).toBe(sizes[i]);
        expect(meta.sha256).toBe(await dataSha256(sizes[i], i + 10));
      }
      expect(store.hashing.workers).toBeLessThanOrEqual(threads);
      expect(await readdir(join(dir, TMP_DIR))).toEqual([]);
    });
  }

  it('leaves no temp file and no hashing job when the request aborts mid-stream', async () => {
    const store = await open(1);
    const controller = new AbortController();
    // A body that sends 256 KiB and then stalls, like a client that went quiet.
    const body = new PassThrough();
    body.write(Buffer.alloc(256 * 1024, 7));
    const staged = store.stage({ ...input(2, 0, controller.signal), body }).then(
      () => 'staged',
      (e: Error) => e.message,
    );
    await until(() => store.hashing.jobs === 1, 5000, 'the part to start hashing');
    controller.abort(new Error('client aborted'));
    expect(await staged).toMatch(/aborted/);
    expect(store.hashing.jobs).toBe(0);
    expect(await readdir(join(dir, TMP_DIR))).toEqual([]);
    // The worker goes on hashing the next part.
    const meta = await store.put(input(3, 100_000));
    expect(meta.sha256).toBe(await dataSha256(100_000, 3));
  });

  it('terminates its workers on close', async () => {
    const store = await open(2);
    await store.put(input(3, 1000));
    expect(store.hashing.workers).toBe(1);
    await store.close();
    expect(store.hashing.workers).toBe(0);
  });
});
