// Seeded upload bytes that cost nothing per upload. One 1 MiB block of an AES-128-CTR
// keystream (made once, on first use) is the source of every generated body: the seed
// picks where in the block a body starts, and a body longer than the block wraps
// around. Same (size, seed), same bytes; another seed, other bytes; nothing is
// generated or copied per upload — the chunks are views of the block. A body's sha256
// is computed once per (size, seed), while it is first sent, and kept in a bounded
// cache, so later uploads of the same body only look it up.
import { createCipheriv, createHash } from 'node:crypto';

const BLOCK_BYTES = 1 << 20;
const DIGEST_CACHE_LIMIT = 4096;
const digests = new Map<string, string>();
let block: Buffer | undefined;

function sourceBlock(): Buffer {
  if (!block) {
    const key = createHash('sha256').update('conduit-load').digest().subarray(0, 16);
    block = createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(BLOCK_BYTES));
  }
  return block;
}

/** Where in the block the body of `seed` starts (a 32-bit mix of the seed). */
function startOf(seed: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) % BLOCK_BYTES;
}

const keyOf = (size: number, seed: number) => `${size}:${seed >>> 0}`;

/** The body's chunks (views of the block, at most `chunkBytes` each). */
export function* seededChunks(size: number, seed: number, chunkBytes = 65_536): Generator<Buffer> {
  if (!(chunkBytes >= 1)) throw new RangeError('chunkBytes must be >= 1');
  const src = sourceBlock();
  let pos = startOf(seed);
  let left = size;
  while (left > 0) {
    const n = Math.min(chunkBytes, left, BLOCK_BYTES - pos);
    yield src.subarray(pos, pos + n);
    left -= n;
    pos = (pos + n) % BLOCK_BYTES;
  }
}

/** The sha256 (hex) of a body when it is known already. */
export function knownDigest(size: number, seed: number): string | undefined {
  return digests.get(keyOf(size, seed));
}

function remember(key: string, digest: string): void {
  if (digests.size >= DIGEST_CACHE_LIMIT) digests.delete(digests.keys().next().value!);
  digests.set(key, digest);
}

/** The body's chunks; the first time the whole body is read its sha256 is computed and cached. */
export function* hashedChunks(size: number, seed: number, chunkBytes = 65_536): Generator<Buffer> {
  const key = keyOf(size, seed);
  if (digests.has(key)) {
    yield* seededChunks(size, seed, chunkBytes);
    return;
  }
  const hash = createHash('sha256');
  for (const chunk of seededChunks(size, seed, chunkBytes)) {
    hash.update(chunk);
    yield chunk;
  }
  remember(key, hash.digest('hex'));
}

/** The body's sha256 (hex), computed now if it is not cached. */
export function seededDigest(size: number, seed: number): string {
  const known = knownDigest(size, seed);
  if (known) return known;
  for (const _ of hashedChunks(size, seed, BLOCK_BYTES)) void _;
  return knownDigest(size, seed)!;
}
