// LocalBlobStore: blobs as files under CONDUIT_BLOB_LOCAL_DIR (layout in layout.ts).
//
// Nothing per blob lives in memory: a lookup reads the blob's record by (tenant, id), and
// the manifest is only appended to. The process holds O(uploads in flight), whatever the
// number of stored blobs.
//
// stage: the part streams through a HashingFileSink (byte count, size cap, writev, fsync)
//   into tmp/<random>.part, hashed while it streams: by a HashPool worker that reads each
//   write back from the page cache as it lands (hashThreads > 0), or inline on the main
//   thread (hashThreads 0). Then dedup: link(2) it to its content address
//   objects/ab/cd/<sha256>. If that name exists already, the same content is stored: we
//   take our own hard link to that inode (tmp/<random>.part.dedup) and drop our copy.
// commit: per blob, the record (tmp + fsync + rename) and a rename of the held link to
//   by-id/<tenant>/<i2>/<id>, an fsync of that directory, then the manifest lines of the
//   whole request (group commit). Only then does the route answer 201.
// discard: unlink the held link (and record), then the index entry if no other name
//   refers to its inode any more (link count 1).
//
// Why hard links: every blob owns a name of its content's inode, so the filesystem's link
// count is the reference count. Removing a name can never remove bytes another blob (or
// a concurrent upload of the same content) holds; the worst race — a discard dropping
// the index entry just as another upload linked to it — only loses that index entry
// (the next identical upload stores a fresh copy), never data. No lock, no refcount file.
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { fsyncDir, isErrno, unlinkIfExists, writeFileAtomic } from './durable.js';
import { HashingFileSink } from './file-sink.js';
import { HashPool, inlineHash } from './hash-pool.js';
import { newBlobId, isBlobId } from './ids.js';
import {
  blobContentPath,
  blobDir,
  blobRecordPath,
  BY_ID_DIR,
  LAYOUT_FILE,
  LAYOUT_VERSION,
  MANIFEST_FILE,
  objectPath,
  OBJECTS_DIR,
  TMP_DIR,
} from './layout.js';
import { formatManifestLine, ManifestLog, parseManifestLine } from './manifest.js';
import { migrateV1 } from './migrate.js';
import type { BlobMeta, BlobStore, PutBlobInput, StagedBlob } from './types.js';

export interface LocalBlobStoreOptions {
  dir: string;
  logger?: Logger;
  /**
   * Worker threads hashing parts as they stream (CONDUIT_BLOB_HASH_THREADS): 0 hashes
   * inline on the main thread; default: defaultHashThreads().
   */
  hashThreads?: number;
}

/**
 * Default size of the hashing pool: 1 when there is a core to spare, else 0 (inline).
 * One worker hashes ~1 GB/s, more than the uploads reach; each one costs its isolate and
 * its ring in RSS (docs/blobs.md).
 */
export function defaultHashThreads(): number {
  return availableParallelism() > 1 ? 1 : 0;
}

/** A staged local blob: `held` is the path of its own hard link to the content. */
class LocalStagedBlob implements StagedBlob {
  state: 'staged' | 'committed' | 'discarded' = 'staged';
  recorded = false;
  constructor(
    readonly meta: BlobMeta,
    public held: string,
  ) {}
}

function asLocal(blob: StagedBlob): LocalStagedBlob {
  if (!(blob instanceof LocalStagedBlob)) throw new TypeError('not a blob staged by a LocalBlobStore');
  return blob;
}

const DEDUP_ATTEMPTS = 3;

export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;
  readonly dir: string;
  private readonly manifest: ManifestLog;
  private readonly logger: Logger | undefined;
  /** undefined: hash inline (hashThreads 0). */
  private readonly hashPool: HashPool | undefined;

  private constructor(opts: LocalBlobStoreOptions) {
    this.dir = opts.dir;
    this.logger = opts.logger;
    const threads = opts.hashThreads ?? defaultHashThreads();
    this.hashPool = threads > 0 ? new HashPool(threads) : undefined;
    this.manifest = new ManifestLog(join(opts.dir, MANIFEST_FILE));
  }

  /** The hashing pool's state (threads 0: hashing inline). */
  get hashing(): { threads: number; workers: number; jobs: number } {
    const p = this.hashPool;
    return p ? { threads: p.size, workers: p.workers, jobs: p.jobs } : { threads: 0, workers: 0, jobs: 0 };
  }

  static async open(opts: LocalBlobStoreOptions): Promise<LocalBlobStore> {
    const store = new LocalBlobStore(opts);
    const { dir } = opts;
    await mkdir(join(dir, OBJECTS_DIR), { recursive: true });
    await mkdir(join(dir, BY_ID_DIR), { recursive: true });
    // Temp files left by a crash are garbage by definition: nothing committed refers to them.
    await rm(join(dir, TMP_DIR), { recursive: true, force: true });
    await mkdir(join(dir, TMP_DIR), { recursive: true });
    const layout = await readFile(join(dir, LAYOUT_FILE), 'utf8').catch(() => undefined);
    if (layout?.trim() !== LAYOUT_VERSION) {
      if (layout !== undefined) throw new Error(`blob store ${dir}: unknown layout ${JSON.stringify(layout.trim())}`);
      // A store from before per-blob records (or a new one): add the records, streaming the manifest.
      const migrated = await migrateV1(dir);
      if (migrated.blobs > 0)
        store.logger?.info({ dir, ...migrated }, 'blob store migrated to layout 2 (per-blob records)');
      await writeFile(join(dir, LAYOUT_FILE), `${LAYOUT_VERSION}\n`);
    }
    if (await store.manifest.open()) {
      store.logger?.warn(
        { manifest: store.manifest.path },
        'blob manifest ended in a torn line; run `conduit blobs verify`',
      );
    }
    return store;
  }

  async stage(input: PutBlobInput): Promise<StagedBlob> {
    const tmp = join(this.dir, TMP_DIR, `${randomBytes(12).toString('hex')}.part`);
    const sink = new HashingFileSink(tmp, {
      maxBytes: input.maxBytes,
      hasher: this.hashPool?.start(tmp) ?? inlineHash(),
    });
    try {
      await pipeline(input.body, sink, input.signal ? { signal: input.signal } : {});
    } catch (err) {
      input.body.destroy();
      // pipeline can reject before the sink has even opened its file (a body failing at
      // once): wait until the sink is closed, so the file cannot appear after the unlink.
      sink.destroy();
      if (!sink.closed) await new Promise<void>((resolve) => sink.once('close', () => resolve()));
      await unlinkIfExists(tmp).catch(() => undefined);
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
    try {
      return new LocalStagedBlob(meta, await this.dedup(tmp, meta));
    } catch (err) {
      await unlinkIfExists(tmp).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Give `tmp` (the new content) its content address, or, when that content is stored
   * already, swap it for a link to the stored inode. Returns the path the blob holds.
   */
  private async dedup(tmp: string, meta: BlobMeta): Promise<string> {
    const index = join(this.dir, objectPath(meta.sha256));
    for (let attempt = 0; attempt < DEDUP_ATTEMPTS; attempt++) {
      try {
        await link(tmp, index);
        return tmp; // new content: our file is now also the index entry
      } catch (err) {
        if (isErrno(err, 'ENOENT')) {
          await mkdir(dirname(index), { recursive: true });
          continue;
        }
        if (!isErrno(err, 'EEXIST')) throw err;
      }
      const held = `${tmp}.dedup`;
      try {
        const existing = await stat(index);
        if (existing.size !== meta.size) {
          this.logger?.error(
            { path: objectPath(meta.sha256) },
            'blob index entry has the wrong size; storing a separate copy; run `conduit blobs verify`',
          );
          return tmp;
        }
        await link(index, held);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) continue; // the entry was dropped in between: try to become it
        throw err;
      }
      await unlinkIfExists(tmp);
      return held;
    }
    return tmp; // contention on the index entry: keep our own copy (no dedup, still correct)
  }

  async commit(blobs: readonly StagedBlob[]): Promise<void> {
    const staged = blobs.map(asLocal);
    for (const b of staged) if (b.state !== 'staged') throw new Error(`blob ${b.meta.id} is ${b.state}, not staged`);
    try {
      // Every placement settles before any discard: a discard racing a rename still in flight would leave that blob behind.
      const placed = await Promise.allSettled(staged.map((b) => this.place(b)));
      const failed = placed.find((p): p is PromiseRejectedResult => p.status === 'rejected');
      if (failed) throw failed.reason;
      await this.manifest.append(staged.map((b) => b.meta));
    } catch (err) {
      await this.discard(staged);
      throw err;
    }
    for (const b of staged) b.state = 'committed';
  }

  /** Record + content link under by-id/, durable (file and directory synced). */
  private async place(b: LocalStagedBlob): Promise<void> {
    const { tenant, id } = b.meta;
    const dir = join(this.dir, blobDir(tenant, id));
    await mkdir(dir, { recursive: true });
    b.recorded = true;
    await writeFileAtomic(
      join(this.dir, TMP_DIR, `${id}.json`),
      join(this.dir, blobRecordPath(tenant, id)),
      formatManifestLine(b.meta),
    );
    const target = join(this.dir, blobContentPath(tenant, id));
    await rename(b.held, target);
    b.held = target;
    await fsyncDir(dir);
  }

  async discard(blobs: readonly StagedBlob[]): Promise<void> {
    const errors: unknown[] = [];
    for (const b of blobs.map(asLocal)) {
      if (b.state === 'discarded') continue;
      b.state = 'discarded';
      try {
        if (b.recorded) await unlinkIfExists(join(this.dir, blobRecordPath(b.meta.tenant, b.meta.id)));
        await unlinkIfExists(b.held);
        await this.dropIndexIfUnreferenced(b.meta.sha256);
      } catch (err) {
        errors.push(err);
        this.logger?.error({ err, id: b.meta.id }, 'could not discard a staged blob');
      }
    }
    if (errors.length) throw errors[0];
  }

  /** Remove objects/…/<sha256> when no blob holds a link to its inode any more. */
  private async dropIndexIfUnreferenced(sha256: string): Promise<void> {
    const index = join(this.dir, objectPath(sha256));
    try {
      if ((await stat(index)).nlink === 1) await unlinkIfExists(index);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }

  async put(input: PutBlobInput): Promise<BlobMeta> {
    const staged = await this.stage(input);
    await this.commit([staged]);
    return staged.meta;
  }

  async get(tenant: string, id: string): Promise<{ meta: BlobMeta; body: Readable } | undefined> {
    if (!isBlobId(id)) return undefined;
    let text: string;
    try {
      text = await readFile(join(this.dir, blobRecordPath(tenant, id)), 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    const meta = parseManifestLine(text);
    // The tenant check also covers two tenant names sharing a directory (case-folding filesystems).
    if (!meta || meta.id !== id || meta.tenant !== tenant) {
      if (!meta) this.logger?.error({ id }, 'unreadable blob record; run `conduit blobs verify`');
      return undefined;
    }
    try {
      const handle = await open(join(this.dir, blobContentPath(tenant, id)), 'r');
      return { meta, body: handle.createReadStream() };
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      this.logger?.error({ id, sha256: meta.sha256 }, 'blob content missing; run `conduit blobs verify`');
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.hashPool?.close();
    await this.manifest.close();
  }
}
