// The local store's manifest: an append-only integrity log, `manifest.jsonl`, one JSON
// line per committed blob (id, sha256, size, mime, tenant, filename, createdAt). Lines are
// only ever appended, and only for blobs whose request succeeded; nothing rewrites the
// file. The gateway never reads it back (lookups use the per-blob records, see
// layout.ts); `conduit blobs verify` and the v1 → v2 migration stream it line by line.
//
// Appends are whole lines in one write followed by fdatasync, with group commit: lines
// queued while a write + sync is in progress go out together in the next one, so N
// concurrent requests cost far fewer than N syncs. A crash can at worst leave a torn last
// line; `open` then ends it with a newline (so the next line stays whole) and verify
// reports it as a bad line.
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { BlobMeta } from './types.js';

const FIELDS = ['id', 'sha256', 'size', 'mime', 'tenant', 'filename', 'createdAt'] as const;

/** Parse one manifest line (or record); undefined when it is not a complete, well-formed entry. */
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

export interface ManifestLine {
  /** 1-based line number. */
  lineNo: number;
  /** undefined when the line is unreadable (torn, corrupted). */
  meta: BlobMeta | undefined;
}

/** Stream the non-empty lines of a manifest (constant memory); a missing file has none. */
export async function* manifestLines(path: string): AsyncGenerator<ManifestLine> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const missing = new Promise<boolean>((resolve) => {
    input.once('error', (err) => resolve((err as NodeJS.ErrnoException).code === 'ENOENT'));
    input.once('open', () => resolve(false));
  });
  if (await missing) return;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      yield { lineNo, meta: parseManifestLine(line) };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

interface Pending {
  text: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** The append side of the manifest. Holds no per-blob state: only lines waiting for the next sync. */
export class ManifestLog {
  readonly path: string;
  private handle: FileHandle | undefined;
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** Open for appending. Returns true when the file ended in a torn line (now terminated). */
  async open(): Promise<boolean> {
    const handle = await open(this.path, 'a+');
    this.handle = handle;
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return false;
    await handle.write('\n');
    await handle.datasync();
    return true;
  }

  /** Append the lines of `metas` (together, in order); resolves once they are on disk. */
  append(metas: readonly BlobMeta[]): Promise<void> {
    if (metas.length === 0) return Promise.resolve();
    const text = metas.map(formatManifestLine).join('');
    const durable = new Promise<void>((resolve, reject) => this.pending.push({ text, resolve, reject }));
    this.flushing ??= this.flushLoop().finally(() => {
      this.flushing = undefined;
    });
    return durable;
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        if (!this.handle) throw new Error('manifest is not open');
        await this.handle.write(batch.map((p) => p.text).join(''));
        await this.handle.datasync();
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}
