// Local backend specifics: content-addressed layout, manifest lines, restart, traversal
// filenames, rollback, and `conduit blobs verify`.
import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalBlobStore, objectPath, runBlobsVerify, verifyLocalStore } from '../../src/gateway/blobs/index.js';
import { envDefaults } from '../../src/gateway/config/env.js';
import { dataStream } from './data.js';

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

const put = (seed: number, filename = 'f.bin', size = 2048) =>
  store.put({ tenant: 't1', filename, mime: 'application/octet-stream', body: dataStream(size, seed), maxBytes: 1 << 20 });

async function manifestLines(): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(join(dir, 'manifest.jsonl'), 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('LocalBlobStore', () => {
  it('stores content by sha256 and appends one manifest line per blob', async () => {
    const a = await put(1);
    const b = await put(1); // same content: one file, two ids, two lines
    expect(await readdir(join(dir, 'objects', a.sha256.slice(0, 2), a.sha256.slice(2, 4)))).toEqual([a.sha256]);
    const lines = await manifestLines();
    expect(lines).toEqual([
      { id: a.id, sha256: a.sha256, size: 2048, mime: 'application/octet-stream', tenant: 't1', filename: 'f.bin', createdAt: a.createdAt },
      expect.objectContaining({ id: b.id, sha256: a.sha256 }),
    ]);
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });

  it('never lets a client filename reach the filesystem', async () => {
    const evil = ['../../../etc/passwd', '..\\..\\win.ini', '/abs/path', 'a/../../b', '\u0000nul'];
    for (const [i, name] of evil.entries()) {
      const meta = await put(10 + i, name);
      expect(meta.filename).toBe(name);
    }
    const files = (await readdir(dir, { recursive: true })).map(String);
    expect(files.every((f) => f === 'manifest.jsonl' || f.startsWith('objects') || f === 'tmp')).toBe(true);
    expect(files.filter((f) => f.includes('passwd') || f.includes('win.ini'))).toEqual([]);
  });

  it('keeps blobs across a restart (manifest reloaded)', async () => {
    const a = await put(2);
    await store.close();
    store = await LocalBlobStore.open({ dir, logger });
    expect((await store.get('t1', a.id))?.meta.sha256).toBe(a.sha256);
  });

  it('delete removes the manifest line, and the content once no blob refers to it', async () => {
    const a = await put(3);
    const b = await put(3);
    const c = await put(4);
    await store.delete('t1', a.id);
    expect((await manifestLines()).map((l) => l.id)).toEqual([b.id, c.id]);
    await store.delete('t1', b.id);
    await expect(readFile(join(dir, objectPath(a.sha256)))).rejects.toThrow(/ENOENT/);
    expect((await verifyLocalStore(dir)).ok).toBe(true);
  });
});

describe('conduit blobs verify', () => {
  it('passes on a healthy store and fails on a corrupted, missing or torn one', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const env = envDefaults({ CONDUIT_BLOB_LOCAL_DIR: dir });
    const a = await put(5);
    const b = await put(6);
    expect(await runBlobsVerify(['verify'], env)).toBe(0);
    expect(out.join('')).toMatch(/OK/);

    // Corrupt one byte of a's content.
    const path = join(dir, objectPath(a.sha256));
    const bytes = await readFile(path);
    bytes[100] ^= 0xff;
    await writeFile(path, bytes);
    out.length = 0;
    expect(await runBlobsVerify(['verify', '--dir', dir], envDefaults())).toBe(1);
    expect(out.join('')).toContain(`MISMATCH ${objectPath(a.sha256)}`);
    expect(out.join('')).toContain(`t1/${a.id}`);

    // Missing content and an orphan file.
    await rm(join(dir, objectPath(b.sha256)));
    await writeFile(join(dir, 'objects', 'stray'), 'x');
    await appendFile(join(dir, 'manifest.jsonl'), '{"id":"torn');
    const report = await verifyLocalStore(dir);
    expect(report.missing.map((m) => m.sha256)).toEqual([b.sha256]);
    expect(report.orphans).toEqual([join('objects', 'stray')]);
    expect(report.badLines).toEqual([3]);
    expect(report.ok).toBe(false);
  });

  it('fails on a directory that does not exist', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runBlobsVerify(['verify', '--dir', join(dir, 'nope')], envDefaults())).toBe(1);
  });
});
