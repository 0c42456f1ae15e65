// HashingFileSink: digest and size of what it wrote, the size cap, O_EXCL, writev
// batching, and that destroy never closes the descriptor under a write in flight.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HashingFileSink } from '../../src/gateway/blobs/file-sink.js';
import { isGatewayError } from '../../src/gateway/errors.js';
import { dataStream } from './data.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conduit-sink-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

describe('HashingFileSink', () => {
  it('writes every byte, and reports their sha256 and count', async () => {
    const path = join(dir, 'a.part');
    const sink = new HashingFileSink(path, { maxBytes: 1 << 22 });
    await pipeline(dataStream(3_000_017, 5), sink);
    const written = await readFile(path);
    expect(written.length).toBe(3_000_017);
    expect(sink.bytes).toBe(3_000_017);
    expect(sink.sha256).toBe(sha256(written));
    expect(sink.destroyed).toBe(true); // closed: pipeline resolved after 'close'
  });

  it('handles an empty part', async () => {
    const path = join(dir, 'empty.part');
    const sink = new HashingFileSink(path, { maxBytes: 10 });
    await pipeline(Readable.from([]), sink);
    expect((await readFile(path)).length).toBe(0);
    expect(sink.sha256).toBe(sha256(Buffer.alloc(0)));
  });

  it('batches chunks that queue during a write into one writev, in order', async () => {
    const path = join(dir, 'b.part');
    const sink = new HashingFileSink(path, { maxBytes: 1 << 20 });
    const batches: number[] = [];
    const writev = sink._writev.bind(sink);
    sink._writev = (chunks, cb) => {
      batches.push(chunks.length);
      writev(chunks, cb);
    };
    // Many small writes in one tick, before the file is even open: they queue up.
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000, i));
    for (const p of parts) sink.write(p);
    sink.end();
    await once(sink, 'close');
    expect(await readFile(path)).toEqual(Buffer.concat(parts));
    expect(batches.length).toBeGreaterThan(0);
    expect(Math.max(...batches)).toBeGreaterThan(1);
  });

  it('fails with UPLOAD_TOO_LARGE past the cap', async () => {
    const sink = new HashingFileSink(join(dir, 'c.part'), { maxBytes: 100_000 });
    const err = await pipeline(dataStream(100_001, 1), sink).catch((e: unknown) => e);
    expect(isGatewayError(err) && err.code).toBe('UPLOAD_TOO_LARGE');
    expect(sink.bytes).toBeGreaterThan(100_000);
  });

  it('accepts exactly the cap', async () => {
    const sink = new HashingFileSink(join(dir, 'd.part'), { maxBytes: 100_000 });
    await pipeline(dataStream(100_000, 1), sink);
    expect(sink.bytes).toBe(100_000);
  });

  it('never overwrites an existing file (O_EXCL)', async () => {
    const path = join(dir, 'e.part');
    await writeFile(path, 'keep');
    const err = await pipeline(dataStream(10, 1), new HashingFileSink(path, { maxBytes: 100 })).catch(
      (e: unknown) => e,
    );
    expect((err as NodeJS.ErrnoException).code).toBe('EEXIST');
    expect(await readFile(path, 'utf8')).toBe('keep');
  });

  it('closes the descriptor only after a write in flight has landed', async () => {
    // Closing under the write could let it land in another file that reused the number.
    const order: string[] = [];
    const sink = new HashingFileSink(join(dir, 'f.part'), { maxBytes: 1 << 26 });
    sink.on('error', () => {});
    const closed = new Promise<void>((resolve) => sink.on('close', resolve));
    sink.on('close', () => order.push('closed'));
    const write = sink._write.bind(sink);
    sink._write = (chunk, enc, cb) => {
      write(chunk, enc, (err) => {
        order.push('write landed');
        cb(err);
      });
      // The write(2) of 8 MiB is in flight now: destroy the sink under it.
      sink.destroy(new Error('client went away'));
    };
    sink.write(Buffer.alloc(8 << 20, 0x41));
    await closed;
    expect(order).toEqual(['write landed', 'closed']);
    expect((await readFile(join(dir, 'f.part'))).length).toBe(8 << 20);
  });
});
