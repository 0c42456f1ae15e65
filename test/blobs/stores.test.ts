// The BlobStore contract, run against both backends (local dir and a real s3rver).
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blobContentPath,
  createBlobStore,
  LocalBlobStore,
  type BlobStore,
  type StagedBlob,
} from '../../src/gateway/blobs/index.js';
import { isGatewayError } from '../../src/gateway/errors.js';
import { dataSha256, dataStream, failingStream, streamSha256 } from './data.js';
import { startS3rver, type S3rverFixture } from './s3rver-fixture.js';
import pino from 'pino';

const logger = pino({ level: 'silent' });
const MiB = 1024 * 1024;
const PREFIX = 'blobs/';

interface Backend {
  name: string;
  open(): Promise<BlobStore>;
  /** Everything the backend holds on disk (to prove failures leave nothing). */
  snapshot(): Promise<string[]>;
  /** Make the commit of this staged blob fail the way the backend really fails (a real fault, no mock); resolves to its undo. */
  breakCommit(blob: StagedBlob): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

async function listAll(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function localBackend(): Backend {
  let dir = '';
  return {
    name: 'local',
    async open() {
      dir = await mkdtemp(join(tmpdir(), 'conduit-blobs-'));
      return LocalBlobStore.open({ dir, logger });
    },
    snapshot: () => listAll(dir),
    // A directory where the blob's content must go: the last rename of its commit fails (EISDIR).
    breakCommit: async ({ meta }) => {
      const content = join(dir, blobContentPath(meta.tenant, meta.id));
      await mkdir(content, { recursive: true });
      return () => rm(content, { recursive: true });
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

function s3Backend(): Backend {
  let s3: S3rverFixture;
  return {
    name: 's3',
    async open() {
      s3 = await startS3rver();
      return createBlobStore(s3.env({ CONDUIT_S3_PREFIX: PREFIX }), logger);
    },
    // The staged object deleted behind the store's back: its copy-onto-itself fails (NoSuchKey).
    breakCommit: async ({ meta }) => {
      const client = s3.client();
      try {
        await client.send(
          new DeleteObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}${encodeURIComponent(meta.tenant)}/${meta.id}` }),
        );
      } finally {
        client.destroy();
      }
      return async () => undefined;
    },
    // s3rver keeps objects as files (+ metadata sidecars) under its directory. It does not
    // implement AbortMultipartUpload, so its pending-part area is left out: on AWS/MinIO the
    // abort (which the store sends) frees those parts.
    snapshot: async () => (await listAll(s3.dir)).filter((f) => !f.includes('._S3rver_uploads')),
    close: () => s3.close(),
  };
}

for (const backend of [localBackend(), s3Backend()]) {
  describe(`BlobStore (${backend.name})`, () => {
    let store: BlobStore;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store?.close();
      await backend.close();
    });

    it('streams a blob in and back out byte-exact, with sha256 and size', async () => {
      const size = 6 * MiB + 123; // above the S3 part size: exercises multipart upload
      const meta = await store.put({
        tenant: 'acme',
        filename: 'a.bin',
        mime: 'application/x-test',
        body: dataStream(size, 1),
        maxBytes: 10 * MiB,
      });
      expect(meta.sha256).toBe(await dataSha256(size, 1));
      expect(meta.size).toBe(size);
      const got = await store.get('acme', meta.id);
      expect(got?.meta).toMatchObject({ sha256: meta.sha256, size, mime: 'application/x-test', filename: 'a.bin' });
      expect(await streamSha256(got!.body)).toEqual({ sha256: meta.sha256, size });
    });

    it('is tenant-scoped: another tenant cannot read the blob (the store has no delete: blobs are immutable once committed)', async () => {
      const meta = await store.put({
        tenant: 'acme',
        filename: 'x',
        mime: 'text/plain',
        body: dataStream(1000, 2),
        maxBytes: MiB,
      });
      expect(await store.get('other', meta.id)).toBeUndefined();
      expect('delete' in store, 'a BlobStore has no delete').toBe(false);
      const mine = await store.get('acme', meta.id);
      expect(mine).toBeDefined();
      mine?.body.destroy();
    });

    it('gives every upload its own id, even for identical content; discarding one leaves the other', async () => {
      const input = () => ({
        tenant: 'acme',
        filename: 'same',
        mime: 'text/plain',
        body: dataStream(5000, 3),
        maxBytes: MiB,
      });
      const b = await store.put(input());
      const a = await store.stage(input());
      expect(a.meta.id).not.toBe(b.id);
      expect(a.meta.sha256).toBe(b.sha256);
      await store.discard([a]);
      expect(await store.get('acme', a.meta.id)).toBeUndefined();
      const still = await store.get('acme', b.id);
      expect((await streamSha256(still!.body)).sha256).toBe(b.sha256);
    });

    it('a staged blob is invisible until committed; a discarded one leaves nothing behind', async () => {
      const before = await backend.snapshot();
      const input = (seed: number) => ({
        tenant: 'acme',
        filename: 's',
        mime: 'text/plain',
        body: dataStream(3000, seed),
        maxBytes: MiB,
      });
      const [x, y] = await Promise.all([store.stage(input(6)), store.stage(input(7))]);
      expect(await store.get('acme', x.meta.id)).toBeUndefined();
      await store.discard([x, y]);
      expect(await backend.snapshot()).toEqual(before);
      const z = await store.stage(input(8));
      await store.commit([z]);
      expect(await streamSha256((await store.get('acme', z.meta.id))!.body)).toEqual({
        sha256: z.meta.sha256,
        size: 3000,
      });
    });

    it('a commit that fails for one blob commits none of them and leaves nothing behind (rollback)', async () => {
      const before = await backend.snapshot();
      const input = (seed: number) => ({
        tenant: 'acme',
        filename: 'r',
        mime: 'text/plain',
        body: dataStream(4000, seed),
        maxBytes: MiB,
      });
      const staged = await Promise.all([store.stage(input(11)), store.stage(input(12)), store.stage(input(13))]);
      const undo = await backend.breakCommit(staged[2]!);
      await expect(store.commit(staged)).rejects.toThrow();
      await undo();
      for (const b of staged) expect(await store.get('acme', b.meta.id)).toBeUndefined();
      const after = await backend.snapshot();
      expect(after.filter((f) => !before.includes(f))).toEqual([]);
      expect(after).toEqual(before);
    });

    it('rejects a part over maxBytes with UPLOAD_TOO_LARGE and leaves nothing behind', async () => {
      const before = await backend.snapshot();
      const err = await store
        .put({
          tenant: 'acme',
          filename: 'big',
          mime: 'application/octet-stream',
          body: dataStream(7 * MiB, 4),
          maxBytes: 6 * MiB,
        })
        .catch((e: unknown) => e);
      expect(isGatewayError(err) && err.code).toBe('UPLOAD_TOO_LARGE');
      expect(await backend.snapshot()).toEqual(before);
    });

    it('leaves nothing behind when the body fails mid-stream', async () => {
      const before = await backend.snapshot();
      await expect(
        store.put({
          tenant: 'acme',
          filename: 'cut',
          mime: 'application/octet-stream',
          body: failingStream(6 * MiB, 5),
          maxBytes: 10 * MiB,
        }),
      ).rejects.toThrow(/client went away/);
      expect(await backend.snapshot()).toEqual(before);
    });

    it('returns undefined for unknown or malformed ids', async () => {
      expect(await store.get('acme', 'AAAAAAAAAAAAAAAAAAAAAA')).toBeUndefined();
      expect(await store.get('acme', '../../etc/passwd')).toBeUndefined();
    });
  });
}
