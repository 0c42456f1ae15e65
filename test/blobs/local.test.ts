// Local backend specifics: layout (by-id records and content links, the objects/ dedup
// index), manifest lines only for committed blobs, staging and discarding (identical
// content included), restart, migration of a layout-1 store, a torn manifest tail,
// traversal filenames, and `conduit blobs verify`.
import { appendFile, link, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  blobContentPath,
  blobRecordPath,
  LocalBlobStore,
  objectPath,
  runBlobsVerify,
  verifyLocalStore,
  type StagedBlob,
} from '../../src/gateway/blobs/index.js';
import { envDefaults } from '../../src/gateway/config/env.js';
import { dataSha256, dataStream, streamSha256 } from './data.js';

const logger = pino({ level: 'silent' });
let dir: string;
let store: LocalBlobStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conduit-local-'));
  store = await LocalBlobStore.open({ dir, logger });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const input = (seed: number, filename = 'f.bin', size = 2048, tenant = 't1') => ({
  tenant,
  filename,
  mime: 'application/octet-stream',
  body: dataStream(size, seed),
  maxBytes: 1 << 20,
});
const put = (seed: number, filename?: string, size?: number) => store.put(input(seed, filename, size));
const stage = (seed: number): Promise<StagedBlob> => store.stage(input(seed));

async function manifestLines(): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(join(dir, 'manifest.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
const exists = (rel: string) =>
  stat(join(dir, rel)).then(
    () => true,
    () => false,
  );
const readBack = async (tenant: string, id: string) => {
  const got = await store.get(tenant, id);
  return got ? streamSha256(got.body) : undefined;
};

describe('LocalBlobStore', () => {
  it('writes a record and a content link per blob, one manifest line each, and one copy of identical content', async () => {
    const a = await put(1);
    const b = await put(1); // same content: one inode, two ids, two records, two lines
    expect(await readdir(join(dir, 'objects', a.sha256.slice(0, 2), a.sha256.slice(2, 4)))).toEqual([a.sha256]);
    const lines = await manifestLines();
    const line = {
      id: a.id,
      sha256: a.sha256,
      size: 2048,
      mime: 'application/octet-stream',
      tenant: 't1',
      filename: 'f.bin',
      createdAt: a.createdAt,
    };
    expect(lines).toEqual([line, expect.objectContaining({ id: b.id, sha256: a.sha256 })]);
    expect(JSON.parse(await readFile(join(dir, blobRecordPath('t1', a.id)), 'utf8'))).toEqual(line);
    const [ca, cb, index] = await Promise.all(
      [blobContentPath('t1', a.id), blobContentPath('t1', b.id), objectPath(a.sha256)].map((p) => stat(join(dir, p))),
    );
    expect(ca.ino).toBe(index.ino);
    expect(cb.ino).toBe(index.ino);
    expect(index.nlink).toBe(3); // the index entry + one link per blob
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });

  it('a staged blob is invisible and has no manifest line until committed', async () => {
    const s = await stage(2);
    expect(await store.get('t1', s.meta.id)).toBeUndefined();
    expect(await manifestLines()).toEqual([]);
    await store.commit([s]);
    expect(await readBack('t1', s.meta.id)).toEqual({ sha256: s.meta.sha256, size: 2048 });
    expect((await manifestLines()).map((l) => l.id)).toEqual([s.meta.id]);
    await expect(store.commit([s])).rejects.toThrow(/committed/);
  });

  it('discard leaves nothing behind for new content, and never removes content another blob holds', async () => {
    const kept = await put(3);
    const dup = await stage(3); // same content as a committed blob
    const fresh = await stage(4); // content seen nowhere else
    await store.discard([dup, fresh]);
    await store.discard([dup]); // idempotent
    expect(await readBack('t1', kept.id)).toEqual({ sha256: kept.sha256, size: 2048 });
    expect(await exists(objectPath(kept.sha256))).toBe(true);
    expect(await exists(objectPath(fresh.meta.sha256))).toBe(false);
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    expect((await manifestLines()).map((l) => l.id)).toEqual([kept.id]);
    const report = await verifyLocalStore(dir);
    expect(report).toMatchObject({ ok: true, orphans: [], blobs: 1, contentFiles: 1 });
  });

  it('two concurrent uploads of identical content: either may fail without harming the other', async () => {
    for (const failFirst of [true, false]) {
      const seed = failFirst ? 5 : 6;
      const [x, y] = await Promise.all([stage(seed), stage(seed)]);
      const [failed, ok] = failFirst ? [x, y] : [y, x];
      await store.discard([failed]);
      await store.commit([ok]);
      expect(await readBack('t1', ok.meta.id)).toEqual({ sha256: await dataSha256(2048, seed), size: 2048 });
      expect(await store.get('t1', failed.meta.id)).toBeUndefined();
    }
    expect(await verifyLocalStore(dir)).toMatchObject({ ok: true, orphans: [], blobs: 2 });
  });

  it('a body that fails at once leaves no temp file (the failure can come before the file is even open)', async () => {
    for (let i = 0; i < 20; i++) {
      const body = new Readable({
        read() {
          this.destroy(new Error('client went away'));
        },
      });
      await expect(store.stage({ ...input(40 + i), body })).rejects.toThrow(/client went away/);
    }
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });

  it('never lets a client filename reach the filesystem', async () => {
    const evil = ['../../../etc/passwd', '..\\..\\win.ini', '/abs/path', 'a/../../b', '\u0000nul'];
    for (const [i, name] of evil.entries()) {
      const meta = await put(10 + i, name);
      expect(meta.filename).toBe(name);
    }
    const files = (await readdir(dir, { recursive: true })).map(String);
    expect(files.every((f) => /^(manifest\.jsonl|layout|tmp|objects(\/.*)?|by-id(\/.*)?)$/.test(f))).toBe(true);
    expect(files.filter((f) => f.includes('passwd') || f.includes('win.ini') || f.includes('..'))).toEqual([]);
  });

  it('keeps tenants apart on disk, with unusual tenant names as hashed directory names', async () => {
    const a = await store.put(input(20, 'x', 100, 'acme'));
    const b = await store.put(input(21, 'x', 100, '../odd tenant/'));
    expect(blobRecordPath('acme', a.id)).toMatch(/^by-id\/acme\//);
    expect(blobRecordPath('../odd tenant/', b.id)).toMatch(/^by-id\/~[0-9a-f]{32}\/..\/[A-Za-z0-9_-]{22}\.json$/);
    expect(await readBack('../odd tenant/', b.id)).toEqual({ sha256: b.sha256, size: 100 });
    expect(await store.get('acme', b.id)).toBeUndefined();
    expect(await store.get('../odd tenant/', a.id)).toBeUndefined();
  });

  it('keeps blobs across a restart', async () => {
    const a = await put(22);
    await store.close();
    store = await LocalBlobStore.open({ dir, logger });
    expect(await readBack('t1', a.id)).toEqual({ sha256: a.sha256, size: 2048 });
  });

  it('ends a torn manifest tail at start, so the next line stays whole', async () => {
    await put(23);
    await store.close();
    await appendFile(join(dir, 'manifest.jsonl'), '{"id":"torn');
    store = await LocalBlobStore.open({ dir, logger });
    const b = await put(24);
    const report = await verifyLocalStore(dir);
    expect(report.badLines).toEqual([2]);
    expect(report.blobs).toBe(2);
    expect(report.missing).toEqual([]);
    expect(await readBack('t1', b.id)).toEqual({ sha256: b.sha256, size: 2048 });
  });

  it('migrates a layout-1 store (manifest + objects only) at start, streaming the manifest', async () => {
    await store.close();
    const old = await mkdtemp(join(tmpdir(), 'conduit-v1-'));
    try {
      // Layout 1: content at objects/ab/cd/<sha256>, the manifest the only index.
      const metas = [];
      for (const [i, seed] of [30, 31, 30].entries()) {
        const sha256 = await dataSha256(1000, seed);
        await mkdir(join(old, objectPath(sha256), '..'), { recursive: true });
        await writeFile(
          join(old, objectPath(sha256)),
          Buffer.concat((await dataStream(1000, seed).toArray()) as Buffer[]),
        );
        metas.push({
          id: `${'A'.repeat(21)}${i}`,
          sha256,
          size: 1000,
          mime: 'text/plain',
          tenant: 'acme',
          filename: `f${i}`,
          createdAt: new Date().toISOString(),
        });
      }
      await writeFile(join(old, 'manifest.jsonl'), metas.map((m) => `${JSON.stringify(m)}\n`).join(''));
      store = await LocalBlobStore.open({ dir: old, logger });
      for (const m of metas) {
        const got = await store.get('acme', m.id);
        expect(got?.meta).toEqual(m);
        expect(await streamSha256(got!.body)).toEqual({ sha256: m.sha256, size: 1000 });
      }
      expect(await readFile(join(old, 'layout'), 'utf8')).toBe('2\n');
      expect(await verifyLocalStore(old)).toMatchObject({ ok: true, orphans: [], blobs: 3, contentFiles: 2 });
    } finally {
      await store.close();
      store = await LocalBlobStore.open({ dir, logger }); // for afterEach
      await rm(old, { recursive: true, force: true });
    }
  });
});

describe('conduit blobs verify', () => {
  it('passes on a healthy store and fails on a corrupted, missing or torn one', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      out.push(String(s));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      out.push(String(s));
      return true;
    });
    const env = envDefaults({ CONDUIT_BLOB_LOCAL_DIR: dir });
    const a = await put(5);
    const b = await put(6);
    const c = await put(7);
    expect(await runBlobsVerify(['verify'], env)).toBe(0);
    expect(out.join('')).toMatch(/OK \(0 orphans\)/);

    // Corrupt one byte of a's content (in place: the blob's link and the index entry share it).
    const path = join(dir, blobContentPath('t1', a.id));
    const bytes = await readFile(path);
    bytes[100] ^= 0xff;
    await writeFile(path, bytes);
    out.length = 0;
    expect(await runBlobsVerify(['verify', '--dir', dir], envDefaults())).toBe(1);
    expect(out.join('')).toContain(`MISMATCH ${blobContentPath('t1', a.id)}`);
    expect(out.join('')).toContain(`t1/${a.id}`);
    expect(out.join('')).toContain(`MISMATCH ${objectPath(a.sha256)}`);

    // Missing content, a missing record, an orphan file and a torn line.
    await rm(join(dir, blobContentPath('t1', b.id)));
    await rm(join(dir, blobRecordPath('t1', c.id)));
    await writeFile(join(dir, 'objects', 'stray'), 'x');
    await appendFile(join(dir, 'manifest.jsonl'), '{"id":"torn');
    const report = await verifyLocalStore(dir);
    expect(report.missing.map((m) => m.path)).toEqual([blobContentPath('t1', b.id), blobRecordPath('t1', c.id)]);
    // b's index entry is held by no blob any more (its only blob lost its content).
    expect(report.orphans).toEqual([objectPath(b.sha256), join('objects', 'stray')].sort());
    expect(report.badLines).toEqual([4]);
    expect(report.ok).toBe(false);
  });

  it('reports a blob placed but never committed (a crash before its manifest line) as an orphan', async () => {
    const s = await stage(8);
    // What a crash between placing the record and appending the line leaves: record + content, no line.
    await mkdir(join(dir, blobContentPath('t1', s.meta.id), '..'), { recursive: true });
    await link(join(dir, objectPath(s.meta.sha256)), join(dir, blobContentPath('t1', s.meta.id)));
    await writeFile(join(dir, blobRecordPath('t1', s.meta.id)), JSON.stringify(s.meta));
    await store.discard([s]);
    const report = await verifyLocalStore(dir);
    expect(report.ok).toBe(true);
    expect(report.orphans).toEqual([blobContentPath('t1', s.meta.id), blobRecordPath('t1', s.meta.id)].sort());
  });

  it('fails on a directory that does not exist', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runBlobsVerify(['verify', '--dir', join(dir, 'nope')], envDefaults())).toBe(1);
  });
});
