// The local store's sha256 with and without its hashing pool (CONDUIT_BLOB_HASH_THREADS):
// the same digests either way, the pool owned and closed by the store, and a part whose
// request is aborted while its hash waits in the queue leaves no temp file.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalBlobStore, TMP_DIR } from '../../src/gateway/blobs/index.js';
import { envDefaults } from '../../src/gateway/config/env.js';
import { waitFor } from '../uploads/client.js';
import { dataSha256, dataStream } from './data.js';

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

  it('leaves no temp file when the request aborts while its hash is queued', async () => {
    const store = await open(1);
    // The first part's hash occupies the only worker (which is still starting up) ...
    const first = store.stage(input(1, 2 * 1024 * 1024));
    await waitFor(() => store.hashing.busy === 1, 5000, 'the first hash to start');
    // ... so the second part, once written, waits in the queue; then its request aborts.
    const controller = new AbortController();
    const second = store.stage(input(2, 64 * 1024, controller.signal)).then(
      () => 'staged',
      (e: Error) => e.message,
    );
    await waitFor(() => store.hashing.queued === 1, 5000, 'the second hash to queue');
    controller.abort(new Error('client aborted'));
    expect(await second).toBe('client aborted');
    const staged = await first;
    expect(staged.meta.sha256).toBe(await dataSha256(2 * 1024 * 1024, 1));
    await store.discard([staged]);
    expect(await readdir(join(dir, TMP_DIR))).toEqual([]);
  });

  it('terminates its workers on close', async () => {
    const store = await open(2);
    await store.put(input(3, 1000));
    expect(store.hashing.workers).toBe(1);
    await store.close();
    expect(store.hashing.workers).toBe(0);
  });
});
