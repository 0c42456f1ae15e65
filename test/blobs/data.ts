// Deterministic test data, generated and streamed on demand (never held whole).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 64 * 1024;

/** Byte i of the stream for `seed`: a cheap deterministic pattern that differs per seed. */
function fill(buf: Buffer, seed: number, offset: number): void {
  for (let i = 0; i < buf.length; i++) buf[i] = ((offset + i) * 31 + seed * 7 + ((offset + i) >> 8)) & 0xff;
}

/** A readable of `size` deterministic bytes for `seed`. */
export function dataStream(size: number, seed: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= size) {
        this.push(null);
        return;
      }
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - offset));
      fill(buf, seed, offset);
      offset += buf.length;
      this.push(buf);
    },
  });
}

/** The sha256 of dataStream(size, seed), computed by streaming. */
export async function dataSha256(size: number, seed: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of dataStream(size, seed)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The sha256 of a readable, consumed fully. */
export async function streamSha256(stream: AsyncIterable<Buffer | Uint8Array>): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** A readable that yields `size` bytes and then fails (a client aborting mid-stream). */
export function failingStream(size: number, seed: number): Readable {
  const src = dataStream(size, seed);
  return Readable.from(
    (async function* () {
      yield* src;
      throw new Error('client went away');
    })(),
  );
}
