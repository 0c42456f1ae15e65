// LocalBlobStore: content-addressed files under CONDUIT_BLOB_LOCAL_DIR.
//
//   DIR/tmp/<random>.part          an upload in progress (same filesystem as objects/)
//   DIR/objects/ab/cd/<sha256>     committed content, named by its digest
//   DIR/manifest.jsonl             one line per blob (see manifest.ts)
//
// A part is streamed through a HashingFileSink (sha256, byte count and size cap in one
// stream stage) into a temp file opened with O_EXCL and flushed (fsync) before close;
// only then is it renamed to its content address and the manifest line appended. Any failure before that point (client abort, size limit,
// disk error) unlinks the temp file, so nothing is left behind. Client filenames are
// stored as metadata only and never take part in a path.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat, unlink, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { newBlobId, isBlobId } from './ids.js';
import { Manifest } from './manifest.js';
import { HashingFileSink } from './file-sink.js';
import type { BlobMeta, BlobStore, PutBlobInput } from './types.js';

export const OBJECTS_DIR = 'objects';
export const TMP_DIR = 'tmp';

/** Relative path of the content file for a digest: objects/ab/cd/<sha256>. */
export function objectPath(sha256: string): string {
  return join(OBJECTS_DIR, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
}

export interface LocalBlobStoreOptions {
  dir: string;
  logger?: Logger;
}

export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;
  readonly dir: string;
  private readonly manifest: Manifest;
  private readonly logger: Logger | undefined;

  private constructor(opts: LocalBlobStoreOptions) {
    this.dir = opts.dir;
    this.logger = opts.logger;
    this.manifest = new Manifest(opts.dir);
  }

  static async open(opts: LocalBlobStoreOptions): Promise<LocalBlobStore> {
    const store = new LocalBlobStore(opts);
    await mkdir(join(opts.dir, OBJECTS_DIR), { recursive: true });
    // Temp files left by a crash are garbage by definition: nothing refers to them.
    await rm(join(opts.dir, TMP_DIR), { recursive: true, force: true });
    await mkdir(join(opts.dir, TMP_DIR), { recursive: true });
    const badLines = await store.manifest.open();
    if (badLines.length) {
      store.logger?.warn({ badLines, manifest: store.manifest.path }, 'blob manifest has unreadable lines; run `conduit blobs verify`');
    }
    return store;
  }

  /** Number of blobs in the manifest. */
  get count(): number {
    return this.manifest.size;
  }

  async put(input: PutBlobInput): Promise<BlobMeta> {
    const tmp = join(this.dir, TMP_DIR, `${randomBytes(12).toString('hex')}.part`);
    const sink = new HashingFileSink(tmp, { maxBytes: input.maxBytes });
    try {
      await pipeline(input.body, sink, input.signal ? { signal: input.signal } : {});
    } catch (err) {
      input.body.destroy();
      await unlink(tmp).catch(() => undefined);
      throw err;
    }

    const meta: BlobMeta = {
      id: newBlobId(),
      tenant: input.tenant,
      sha256: sink.sha256,
      size: sink.bytes,
      mime: input.mime,
      filename: input.filename,
      createdAt: new Date().toISOString(),
    };
    const target = join(this.dir, objectPath(meta.sha256));
    let committed: { durable: Promise<void> };
    try {
      committed = await this.manifest.exclusive(async () => {
        if (this.manifest.refCount(meta.sha256) > 0) {
          // Same content already stored: keep the existing file, drop ours.
          await unlink(tmp);
        } else {
          await mkdir(join(target, '..'), { recursive: true });
          await rename(tmp, target);
        }
        return this.manifest.add(meta);
      });
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    // A failed manifest write leaves the content file as an orphan (verify reports it).
    await committed.durable;
    return meta;
  }

  async get(tenant: string, id: string): Promise<{ meta: BlobMeta; body: Readable } | undefined> {
    if (!isBlobId(id)) return undefined;
    const meta = this.manifest.get(tenant, id);
    if (!meta) return undefined;
    const path = join(this.dir, objectPath(meta.sha256));
    try {
      await stat(path);
    } catch {
      this.logger?.error({ id, sha256: meta.sha256 }, 'blob content missing; run `conduit blobs verify`');
      return undefined;
    }
    return { meta, body: createReadStream(path) };
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    if (!isBlobId(id)) return false;
    return this.manifest.exclusive(async () => {
      const meta = await this.manifest.remove(tenant, id);
      if (!meta) return false;
      if (this.manifest.refCount(meta.sha256) === 0) {
        await unlink(join(this.dir, objectPath(meta.sha256))).catch(() => undefined);
      }
      return true;
    });
  }

  async close(): Promise<void> {
    await this.manifest.close();
  }
}
