// HashPool: sha256 of finished files on worker threads — digests and sizes, a FIFO queue
// bounded by the pool size, a job aborted while queued, errors, close; and the worker
// entry of the built JavaScript (dist/) as well as the TypeScript source vitest runs.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HashPool, hashWorkerEntry } from '../../src/gateway/blobs/hash-pool.js';

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

/** A file of `size` bytes (crossing the worker's 1 MiB read size when large); returns its path and digest. */
async function file(name: string, size: number, seed: number): Promise<{ path: string; sha256: string }> {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 31 + seed) & 0xff;
  const path = join(dir, name);
  await writeFile(path, buf);
  return { path, sha256: createHash('sha256').update(buf).digest('hex') };
}

describe('HashPool', () => {
  it('hashes files of any size, in parallel up to its size and queued beyond it', async () => {
    const pool = newPool(2);
    const files = await Promise.all([0, 1, 1024 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024 + 7].map((size, i) => file(`f${i}`, size, i)));
    const jobs = files.map((f) => pool.hashFile(f.path));
    // Dispatch is synchronous: two jobs went to the two workers, the rest wait.
    expect(pool.workers).toBe(2);
    expect(pool.busy).toBe(2);
    expect(pool.queued).toBe(3);
    const got = await Promise.all(jobs);
    expect(got.map((h) => h.sha256)).toEqual(files.map((f) => f.sha256));
    expect(got.map((h) => h.size)).toEqual([0, 1, 1024 * 1024, 1024 * 1024 + 1, 3 * 1024 * 1024 + 7]);
    expect(pool.workers).toBe(2);
    expect(pool.queued).toBe(0);
    expect(pool.busy).toBe(0);
  });

  it('drops a job aborted while queued at once, and the others still complete', async () => {
    const pool = newPool(1);
    const a = await file('a', 4096, 1);
    const b = await file('b', 4096, 2);
    const first = pool.hashFile(a.path);
    const controller = new AbortController();
    const second = pool.hashFile(b.path, controller.signal);
    expect(pool.queued).toBe(1);
    controller.abort(new Error('client gone'));
    await expect(second).rejects.toThrow('client gone');
    expect(pool.queued).toBe(0);
    expect((await first).sha256).toBe(a.sha256);
    // An already aborted signal is refused before queueing.
    await expect(pool.hashFile(b.path, controller.signal)).rejects.toThrow('client gone');
  });

  it('rejects with the errno of a file it cannot read, and keeps working', async () => {
    const pool = newPool(1);
    await expect(pool.hashFile(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    const f = await file('ok', 10, 3);
    expect((await pool.hashFile(f.path)).sha256).toBe(f.sha256);
  });

  it('close() rejects pending jobs, terminates the workers and refuses new jobs', async () => {
    const pool = newPool(1);
    const f = await file('f', 1000, 4);
    const pending = [pool.hashFile(f.path), pool.hashFile(f.path)].map((p) => p.then(() => 'hashed', (e: Error) => e.message));
    await pool.close();
    expect(await Promise.all(pending)).toEqual(['hash pool closed', 'hash pool closed']);
    expect(pool.workers).toBe(0);
    await expect(pool.hashFile(f.path)).rejects.toThrow(/closed/);
  });

  it('refuses a size below 1', () => {
    expect(() => new HashPool(0)).toThrow(RangeError);
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
    for (const name of ['hash-pool', 'hash-worker']) {
      const text = await readFile(new URL(`${name}.ts`, src), 'utf8');
      const js = ts.transpileModule(text, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
        fileName: `${name}.ts`,
      }).outputText;
      await writeFile(join(out, `${name}.js`), js);
    }
    await writeFile(join(out, 'package.json'), '{"type":"module"}');
    const f = await file('data', 2 * 1024 * 1024 + 3, 5);
    const script = `import { HashPool } from ${JSON.stringify(new URL('hash-pool.js', `file://${out}/`).href)};
      const pool = new HashPool(1);
      const h = await pool.hashFile(${JSON.stringify(f.path)});
      await pool.close();
      console.log(JSON.stringify(h));`;
    await writeFile(join(out, 'main.js'), script);
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // plain node, as `node dist/gateway/cli.js` runs
    const { stdout } = await promisify(execFile)(process.execPath, [join(out, 'main.js')], { timeout: 20_000, env });
    expect(JSON.parse(stdout)).toEqual({ sha256: f.sha256, size: 2 * 1024 * 1024 + 3 });
  });
});
