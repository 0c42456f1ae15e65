// Seeded pseudo-random numbers (mulberry32): ack/nack decisions, size mixes and
// generated upload bytes are reproducible from a seed.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** Fill `target` with pseudo-random bytes. */
  fill(target: Uint8Array): Uint8Array;
}

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const nextU32 = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    next: () => nextU32() / 4294967296,
    int: (min, max) => min + Math.floor((nextU32() / 4294967296) * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor((nextU32() / 4294967296) * items.length)];
    },
    fill: (target) => {
      const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
      let i = 0;
      for (; i + 4 <= target.length; i += 4) view.setUint32(i, nextU32());
      if (i < target.length) {
        const last = nextU32();
        for (let k = 0; i < target.length; i++, k++) target[i] = (last >>> (8 * k)) & 0xff;
      }
      return target;
    },
  };
}

/** A seed derived from a string (FNV-1a), e.g. a scenario name plus a client index. */
export function seedFrom(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
