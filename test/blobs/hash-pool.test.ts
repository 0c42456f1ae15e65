// HashPool: sha256 on the way on worker threads — digests and sizes of many interleaved
// jobs through a small ring (so backpressure is exercised), jobs spread over the workers,
// abort, a worker that dies, close; and the worker entry of the built JavaScript (dist/)
// as well as the TypeScript source vitest runs.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HashPool, hashWorkerEntry, inlineHash, type StreamHash } from '../../src/gateway/blobs/hash-pool.js';

let dir: string;
const pools: HashPool[] = [];
const newPool = (size: number, ringBytes?: number) => {
  const pool = new HashPool(size, ringBytes ? { ringBytes } : {});
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

/** Feed `chunks` to `h` as a stream would (waiting when update asks to), then end it. */
async function feed(h: StreamHash, chunks: Buffer[]) {
  for (let i = 0; i < chunks.length; i += 3) await h.update(chunks.slice(i, i + 3));
  return h.end();
}

describe('HashPool', () => {
  it('hashes 20 interleaved streams of any size exactly, through a ring far smaller than the data', async () => {
    const pool = newPool(2, 64 * 1024);
    const streams = Array.from({ length: 20 }, (_, s) => Array.from({ length: (s * 7) % 23 }, (_, i) => chunk((s * 9973 + i * 4099) % 70_000, s + i)));
    const got = await Promise.all(streams.map((chunks) => feed(pool.start(), chunks)));
    for (const [s, chunks] of streams.entries()) {
      const h = createHash('sha256');
      for (const c of chunks) h.update(c);
      expect(got[s]).toEqual({ sha256: h.digest('hex'), size: chunks.reduce((n, c) => n + c.length, 0) });
    }
    expect(pool.workers).toBe(2);
    expect(pool.jobs).toBe(0);
    expect(pool.queued).toBe(0);
  });

  it('starts a second worker only when the first is busy', async () => {
    const pool = newPool(2);
    expect(await pool.start().end()).toEqual({ sha256: createHash('sha256').digest('hex'), size: 0 });
    const a = pool.start();
    expect(pool.workers).toBe(1);
    const b = pool.start();
    expect(pool.workers).toBe(2);
    expect(pool.jobs).toBe(2);
    a.abort();
    expect(pool.jobs).toBe(1);
    expect((await feed(b, [chunk(10, 1)])).size).toBe(10);
  });

  it('waits for room when the ring is full, and an aborted job drops its waiting bytes', async () => {
    const pool = newPool(1, 1024);
    const slow = pool.start();
    const big = Array.from({ length: 64 }, (_, i) => chunk(200, i));
    const pending = slow.update(big); // 64 × 208 bytes through a 1 KiB ring
    expect(pending).toBeInstanceOf(Promise);
    expect(pool.queued).toBeGreaterThan(0);
    const other = pool.start();
    slow.abort();
    await pending; // settled, not left hanging
    expect(await feed(other, [chunk(5000, 3)])).toEqual({ sha256: createHash('sha256').update(chunk(5000, 3)).digest('hex'), size: 5000 });
    expect(pool.jobs).toBe(0);
  });

  it('fails the jobs of a worker that dies, and a new job gets a new worker', async () => {
    const pool = newPool(1);
    const job = pool.start();
    const ended = job.end();
    // Kill the worker the way a crash would (terminate() emits 'exit').
    await (pool as unknown as { lanes: Array<{ worker: { terminate(): Promise<number> } }> }).lanes[0].worker.terminate();
    await expect(ended).rejects.toThrow(/hash worker exited/);
    expect(pool.workers).toBe(0);
    expect((await feed(pool.start(), [chunk(100, 9)])).size).toBe(100);
    expect(pool.workers).toBe(1);
  });

  it('close() rejects jobs in progress, stops the workers and refuses new jobs', async () => {
    const pool = newPool(1);
    const job = pool.start();
    expect(job.update([chunk(1000, 4)])).toBeUndefined();
    const ended = job.end();
    const [result] = await Promise.allSettled([ended, pool.close()]);
    // The digest may win the race with close(); if not, the job is failed, never left hanging.
    if (result.status === 'rejected') expect(String(result.reason)).toMatch(/closed/);
    expect(pool.workers).toBe(0);
    expect(() => pool.start()).toThrow(/closed/);
  });

  it('refuses a size below 1', () => {
    expect(() => new HashPool(0)).toThrow(RangeError);
  });

  it('inlineHash gives the same digest on the main thread', async () => {
    const h = inlineHash();
    expect(h.update([chunk(10, 1), chunk(20, 2)])).toBeUndefined();
    expect(await h.end()).toEqual({ sha256: createHash('sha256').update(chunk(10, 1)).update(chunk(20, 2)).digest('hex'), size: 30 });
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
    for (const name of ['hash-pool', 'hash-worker', 'hash-ring']) {
      const text = await readFile(new URL(`${name}.ts`, src), 'utf8');
      const js = ts.transpileModule(text, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
        fileName: `${name}.ts`,
      }).outputText;
      await writeFile(join(out, `${name}.js`), js);
    }
    await writeFile(join(out, 'package.json'), '{"type":"module"}');
    const size = 2 * 1024 * 1024 + 3;
    const script = `import { HashPool } from ${JSON.stringify(new URL('hash-pool.js', `file://${out}/`).href)};
      const pool = new HashPool(1);
      const job = pool.start();
      const data = Buffer.alloc(${size});
      for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 5) & 0xff;
      await job.update([data]);
      const h = await job.end();
      await pool.close();
      console.log(JSON.stringify(h));`;
    await writeFile(join(out, 'main.js'), script);
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // plain node, as `node dist/gateway/cli.js` runs
    const { stdout } = await promisify(execFile)(process.execPath, [join(out, 'main.js')], { timeout: 20_000, env });
    expect(JSON.parse(stdout)).toEqual({ sha256: createHash('sha256').update(chunk(size, 5)).digest('hex'), size });
  });
});
