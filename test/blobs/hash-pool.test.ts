// HashPool: sha256 computed while files are written, by workers that read back what has
// landed — digests and sizes of many interleaved files written in steps, jobs spread over
// the workers, abort, errors, a worker that dies, close; and the worker entry of the built
// JavaScript (dist/) as well as the TypeScript source vitest runs.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HashPool, hashWorkerEntry, inlineHash, type StreamHash } from '../../src/gateway/blobs/hash-pool.js';

let dir: string;
const pools: HashPool[] = [];
const newPool = (size: number) => {
  const pool = new HashPool(size);
  pools.push(pool);
  return pool;
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conduit-hashpool-'));
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  await rm(dir, { recursive: true, force: true });
});

function chunk(n: number, seed: number): Buffer {
  const buf = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) buf[i] = (i * 31 + seed) & 0xff;
  return buf;
}

/** Write `chunks` to a new file at `path` one by one as a sink would, telling `h` after each; then end it. */
async function writeThrough(h: StreamHash, path: string, chunks: Buffer[]) {
  await writeFile(path, '');
  let total = 0;
  for (const c of chunks) {
    h.update([c]);
    await appendFile(path, c);
    total += c.length;
    h.written(total);
  }
  return h.end(total);
}

const digest = (chunks: Buffer[]) => {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return { sha256: h.digest('hex'), size: chunks.reduce((n, c) => n + c.length, 0) };
};

describe('HashPool', () => {
  it('hashes 20 files written at once in steps of any size, exactly', async () => {
    const pool = newPool(2);
    // Sizes around the worker's read sizes (256 KiB minimum, 1 MiB buffer), and empty ones.
    const files = Array.from({ length: 20 }, (_, s) =>
      Array.from({ length: (s * 7) % 9 }, (_, i) => chunk((s * 99_991 + i * 140_009) % 700_000, s + i)),
    );
    const got = await Promise.all(
      files.map((chunks, s) => {
        const path = join(dir, `f${s}`);
        return writeThrough(pool.start(path), path, chunks);
      }),
    );
    for (const [s, chunks] of files.entries()) expect(got[s]).toEqual(digest(chunks));
    expect(pool.workers).toBe(2);
    expect(pool.jobs).toBe(0);
  });

  it('starts a second worker only when the first is busy', async () => {
    const pool = newPool(2);
    const path = join(dir, 'empty');
    expect(await writeThrough(pool.start(path), path, [])).toEqual(digest([]));
    const a = pool.start(join(dir, 'a'));
    expect(pool.workers).toBe(1);
    const b = pool.start(join(dir, 'b'));
    expect(pool.workers).toBe(2);
    expect(pool.jobs).toBe(2);
    a.abort();
    expect(pool.jobs).toBe(1);
    expect(await writeThrough(b, join(dir, 'b'), [chunk(10, 1)])).toEqual(digest([chunk(10, 1)]));
  });

  it('forgets an aborted job, even when its file is gone, and keeps hashing others', async () => {
    const pool = newPool(1);
    const path = join(dir, 'gone');
    const job = pool.start(path);
    await writeFile(path, chunk(300_000, 1));
    job.written(300_000);
    await rm(path);
    job.abort();
    expect(pool.jobs).toBe(0);
    const other = join(dir, 'other');
    expect(await writeThrough(pool.start(other), other, [chunk(5000, 3)])).toEqual(digest([chunk(5000, 3)]));
  });

  it('rejects end() with the errno of a file it cannot read', async () => {
    const pool = newPool(1);
    const job = pool.start(join(dir, 'missing'));
    job.written(10);
    await expect(job.end(10)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(pool.jobs).toBe(0);
  });

  it('rejects end() when the file holds fewer bytes than were reported', async () => {
    const pool = newPool(1);
    const path = join(dir, 'short');
    await writeFile(path, chunk(100, 1));
    const job = pool.start(path);
    job.written(100);
    await expect(job.end(200)).rejects.toThrow(/ended at 100 bytes/);
  });

  it('fails the jobs of a worker that dies, and a new job gets a new worker', async () => {
    const pool = newPool(1);
    const path = join(dir, 'f');
    await writeFile(path, chunk(10, 1));
    const job = pool.start(path);
    // Kill the worker the way a crash would (terminate() emits 'exit').
    await (
      pool as unknown as { lanes: Array<{ worker: { terminate(): Promise<number> } }> }
    ).lanes[0].worker.terminate();
    await expect(job.end(10)).rejects.toThrow(/hash worker exited/);
    expect(pool.workers).toBe(0);
    const next = join(dir, 'next');
    expect((await writeThrough(pool.start(next), next, [chunk(100, 9)])).size).toBe(100);
    expect(pool.workers).toBe(1);
  });

  it('close() settles jobs in progress, stops the workers and refuses new jobs', async () => {
    const pool = newPool(1);
    const path = join(dir, 'c');
    await writeFile(path, chunk(1000, 4));
    const job = pool.start(path);
    job.written(1000);
    const ended = job.end(1000);
    const [result] = await Promise.allSettled([ended, pool.close()]);
    // The digest may win the race with close(); if not, the job is failed, never left hanging.
    if (result.status === 'rejected') expect(String(result.reason)).toMatch(/closed/);
    else expect(result.value).toEqual(digest([chunk(1000, 4)]));
    expect(pool.workers).toBe(0);
    expect(() => pool.start(path)).toThrow(/closed/);
  });

  it('refuses a size below 1', () => {
    expect(() => new HashPool(0)).toThrow(RangeError);
  });

  it('inlineHash hashes on the main thread what update() is given', async () => {
    const h = inlineHash();
    h.update([chunk(10, 1), chunk(20, 2)]);
    h.written(30);
    expect(await h.end(30)).toEqual(digest([chunk(10, 1), chunk(20, 2)]));
  });
});

describe('hash worker entry', () => {
  it('is the .ts source through a tsx bootstrap from source, the .js file from built JavaScript', () => {
    const fromTs = hashWorkerEntry('file:///app/src/gateway/blobs/hash-pool.ts');
    expect(fromTs.eval).toBe(true);
    expect(String(fromTs.entry)).toContain('file:///app/src/gateway/blobs/hash-worker.ts');
    const fromJs = hashWorkerEntry('file:///app/dist/gateway/blobs/hash-pool.js');
    expect(fromJs).toEqual({ entry: new URL('file:///app/dist/gateway/blobs/hash-worker.js'), eval: false });
  });

  it('works from built JavaScript: hash-pool.js starts hash-worker.js next to it, with plain node', async () => {
    // Compile the two modules as tsconfig.build.json would, into a temp "dist" folder.
    const out = join(dir, 'dist');
    await mkdir(out);
    const src = new URL('../../src/gateway/blobs/', import.meta.url);
    for (const name of ['hash-pool', 'hash-worker', 'hash-shared']) {
      const text = await readFile(new URL(`${name}.ts`, src), 'utf8');
      const js = ts.transpileModule(text, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
        fileName: `${name}.ts`,
      }).outputText;
      await writeFile(join(out, `${name}.js`), js);
    }
    await writeFile(join(out, 'package.json'), '{"type":"module"}');
    const size = 2 * 1024 * 1024 + 3;
    const file = join(dir, 'data');
    await writeFile(file, chunk(size, 5));
    const script = `import { HashPool } from ${JSON.stringify(new URL('hash-pool.js', `file://${out}/`).href)};
      const pool = new HashPool(1);
      const job = pool.start(${JSON.stringify(file)});
      job.written(${size});
      const h = await job.end(${size});
      await pool.close();
      console.log(JSON.stringify(h));`;
    await writeFile(join(out, 'main.js'), script);
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // plain node, as `node dist/gateway/cli.js` runs
    const { stdout } = await promisify(execFile)(process.execPath, [join(out, 'main.js')], { timeout: 20_000, env });
    expect(JSON.parse(stdout)).toEqual({ sha256: createHash('sha256').update(chunk(size, 5)).digest('hex'), size });
  });
});
