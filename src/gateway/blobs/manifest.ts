// The local store's manifest: one JSON line per live blob in `manifest.jsonl`
// (id, sha256, size, mime, tenant, filename, createdAt), plus an in-memory index by
// (tenant, id). Every change runs through one serial queue (`exclusive`), so an append
// never interleaves with another append or with the rewrite that a delete does.
// Appends are whole lines written in one write followed by fdatasync (group commit, see
// `add`): a crash can at worst leave a torn last line, which `load` skips and `conduit blobs verify` reports.
import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobMeta } from './types.js';

export const MANIFEST_FILE = 'manifest.jsonl';

const FIELDS = ['id', 'sha256', 'size', 'mime', 'tenant', 'filename', 'createdAt'] as const;

/** Parse one manifest line; undefined when it is not a complete, well-formed entry. */
export function parseManifestLine(line: string): BlobMeta | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) return undefined;
  for (const key of FIELDS) if (key !== 'size' && typeof v[key] !== 'string') return undefined;
  if (!/^[0-9a-f]{64}$/.test(v.sha256 as string)) return undefined;
  const meta = {} as Record<string, unknown>;
  for (const key of FIELDS) meta[key] = v[key];
  return meta as unknown as BlobMeta;
}

export function formatManifestLine(meta: BlobMeta): string {
  const ordered: Record<string, unknown> = {};
  for (const key of FIELDS) ordered[key] = meta[key];
  return `${JSON.stringify(ordered)}\n`;
}

export interface ManifestRead {
  entries: BlobMeta[];
  /** 1-based line numbers that could not be parsed. */
  badLines: number[];
}

/** Read a manifest file; a missing file is an empty manifest. */
export async function readManifest(path: string): Promise<ManifestRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], badLines: [] };
    throw err;
  }
  const entries: BlobMeta[] = [];
  const badLines: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const meta = parseManifestLine(line);
    if (meta) entries.push(meta);
    else badLines.push(i + 1);
  }
  return { entries, badLines };
}

const key = (tenant: string, id: string) => `${tenant}\u0000${id}`;

export class Manifest {
  readonly path: string;
  private readonly entries = new Map<string, BlobMeta>();
  /** sha256 → number of live entries referring to it (content is shared on dedup). */
  private readonly refs = new Map<string, number>();
  private handle: FileHandle | undefined;
  private readonly pending: Array<{ meta: BlobMeta; resolve: () => void; reject: (err: unknown) => void }> = [];
  private flushing: Promise<void> | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.path = join(dir, MANIFEST_FILE);
  }

  /** Load the index from disk and open the file for appending. Returns unparseable line numbers. */
  async open(): Promise<number[]> {
    const { entries, badLines } = await readManifest(this.path);
    for (const meta of entries) this.index(meta);
    this.handle = await open(this.path, 'a');
    return badLines;
  }

  /** Run `fn` after every change queued before it, alone. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  get(tenant: string, id: string): BlobMeta | undefined {
    return this.entries.get(key(tenant, id));
  }

  get size(): number {
    return this.entries.size;
  }

  refCount(sha256: string): number {
    return this.refs.get(sha256) ?? 0;
  }

  /**
   * Add one entry: indexed at once (so reference counts see it), written durably by the
   * next group commit. Call inside `exclusive`; await the returned `durable` outside it.
   * Group commit: every line queued while a write + fdatasync is in progress goes out in
   * the next single write + fdatasync, so N concurrent uploads cost far fewer than N
   * syncs (a sync can take long while the disk is busy writing the blobs themselves).
   */
  add(meta: BlobMeta): { durable: Promise<void> } {
    this.index(meta);
    const durable = new Promise<void>((resolve, reject) => this.pending.push({ meta, resolve, reject }));
    this.flushing ??= this.flushLoop().finally(() => {
      this.flushing = undefined;
    });
    return { durable };
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      try {
        const handle = this.requireHandle();
        await handle.write(batch.map((p) => formatManifestLine(p.meta)).join(''));
        await handle.datasync();
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) {
          this.unindex(p.meta);
          p.reject(err);
        }
      }
    }
  }

  /** Resolves when every queued line is on disk (or failed). */
  private async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /**
   * Drop one entry: rewrite the manifest without it (temp file, fsync, rename), so a
   * rolled-back upload leaves no line behind. Call inside `exclusive`. Deletes are rare
   * (failed multi-file requests), so the O(entries) rewrite is acceptable.
   */
  async remove(tenant: string, id: string): Promise<BlobMeta | undefined> {
    const meta = this.entries.get(key(tenant, id));
    if (!meta) return undefined;
    // No add can run while we are inside `exclusive`; let queued lines land first so the
    // rewrite below neither loses nor duplicates them.
    await this.settled();
    this.unindex(meta);

    const tmp = `${this.path}.rewrite`;
    const out = await open(tmp, 'w');
    try {
      let chunk = '';
      for (const entry of this.entries.values()) {
        chunk += formatManifestLine(entry);
        if (chunk.length > 1 << 16) {
          await out.write(chunk);
          chunk = '';
        }
      }
      if (chunk) await out.write(chunk);
      await out.datasync();
    } finally {
      await out.close();
    }
    await this.requireHandle().close();
    await rename(tmp, this.path);
    this.handle = await open(this.path, 'a');
    return meta;
  }

  async close(): Promise<void> {
    await this.exclusive(async () => {
      await this.settled();
      await this.handle?.close();
      this.handle = undefined;
    });
  }

  private index(meta: BlobMeta): void {
    const previous = this.entries.get(key(meta.tenant, meta.id));
    if (previous) this.refs.set(previous.sha256, (this.refs.get(previous.sha256) ?? 1) - 1);
    this.entries.set(key(meta.tenant, meta.id), meta);
    this.refs.set(meta.sha256, (this.refs.get(meta.sha256) ?? 0) + 1);
  }

  private unindex(meta: BlobMeta): void {
    if (this.entries.get(key(meta.tenant, meta.id)) !== meta) return;
    this.entries.delete(key(meta.tenant, meta.id));
    const left = (this.refs.get(meta.sha256) ?? 1) - 1;
    if (left > 0) this.refs.set(meta.sha256, left);
    else this.refs.delete(meta.sha256);
  }

  private requireHandle(): FileHandle {
    if (!this.handle) throw new Error('manifest is not open');
    return this.handle;
  }
}
