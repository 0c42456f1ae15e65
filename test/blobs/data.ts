// Deterministic test data, generated and streamed on demand (never held whole).
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createRng } from '../../src/load/prng.js';

const CHUNK = 64 * 1024;
// One pseudo-random block (prime length) made once; stream `seed` is the block read
// cyclically from offset seed × 7919. Chunks are zero-copy slices, so generating data
// costs nothing next to hashing it.
const BLOCK_LEN = 1_048_583;
const BLOCK = createRng(0x9e3779b9).fill(Buffer.alloc(BLOCK_LEN));

/** A readable of `size` deterministic bytes for `seed`. */
export function dataStream(size: number, seed: number): Readable {
  let offset = 0;
  let pos = (seed * 7919) % BLOCK_LEN;
  return new Readable({
    read() {
      if (offset >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, size - offset, BLOCK_LEN - pos);
      const chunk = BLOCK.subarray(pos, pos + n);
      offset += n;
      pos = (pos + n) % BLOCK_LEN;
      this.push(chunk);
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
export async function streamSha256(
  stream: AsyncIterable<Buffer | Uint8Array>,
): Promise<{ sha256: string; size: number }> {
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
