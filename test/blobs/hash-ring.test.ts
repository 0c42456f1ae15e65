// HashRing protocol in one thread: frames of interleaved jobs come out in order and
// byte-exact across the wrap-around, the producer is refused (not corrupted) when full,
// and bad sizes are refused.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createRing,
  drainFrames,
  FRAME_ABORT,
  FRAME_END,
  frameBytes,
  freeBytes,
  maxPayload,
  SLEEPING,
  sleepUntilFrames,
  tryWriteFrame,
  type RingFrame,
} from '../../src/gateway/blobs/hash-ring.js';

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0, x = seed | 1; i < n; i++) {
    x = (x * 1103515245 + 12345) | 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('HashRing', () => {
  it('carries interleaved jobs byte-exact through many wrap-arounds', () => {
    const ring = createRing(1024);
    const sent = new Map<number, ReturnType<typeof createHash>>();
    const got = new Map<number, ReturnType<typeof createHash>>();
    const ended: number[] = [];
    const onFrame = (f: RingFrame) => {
      if (f.kind === 'data') {
        const h = got.get(f.job) ?? createHash('sha256');
        for (const p of f.pieces) h.update(p);
        got.set(f.job, h);
      } else if (f.kind === 'end') ended.push(f.job);
    };
    let wraps = 0;
    for (let i = 0; i < 2000; i++) {
      const job = (i % 3) + 1;
      const payload = bytes((i * 37) % (maxPayload(ring) + 1), i);
      (sent.get(job) ?? sent.set(job, createHash('sha256')).get(job)!).update(payload);
      if (!tryWriteFrame(ring, job, 0, payload)) {
        drainFrames(ring, onFrame);
        wraps++;
        expect(tryWriteFrame(ring, job, 0, payload)).toBe(true);
      }
    }
    for (const job of [1, 2, 3]) expect(tryWriteFrame(ring, job, FRAME_END) || (drainFrames(ring, onFrame), tryWriteFrame(ring, job, FRAME_END))).toBe(true);
    drainFrames(ring, onFrame);
    expect(wraps).toBeGreaterThan(100);
    expect(ended).toEqual([1, 2, 3]);
    for (const job of [1, 2, 3]) expect(got.get(job)!.digest('hex')).toBe(sent.get(job)!.digest('hex'));
    expect(freeBytes(ring)).toBe(1024);
  });

  it('refuses a frame that does not fit and writes nothing', () => {
    const ring = createRing(64);
    expect(tryWriteFrame(ring, 1, 0, bytes(16, 1))).toBe(true); // 24 bytes
    expect(tryWriteFrame(ring, 1, 0, bytes(16, 2))).toBe(true); // 48
    expect(freeBytes(ring)).toBe(64 - 2 * frameBytes(16));
    expect(tryWriteFrame(ring, 1, 0, bytes(16, 3))).toBe(false);
    expect(freeBytes(ring)).toBe(16);
    expect(tryWriteFrame(ring, 7, FRAME_ABORT)).toBe(true); // a header alone fits
    const frames: RingFrame[] = [];
    expect(drainFrames(ring, (f) => frames.push(f.kind === 'data' ? { ...f, pieces: [Uint8Array.from(f.pieces[0])] } : f))).toBe(3);
    expect(frames.map((f) => f.kind)).toEqual(['data', 'data', 'abort']);
    expect(frames[2].job).toBe(7);
    expect(drainFrames(ring, () => undefined)).toBe(0);
  });

  it('refuses capacities that are not a power of two and payloads over a quarter ring', () => {
    expect(() => createRing(1000)).toThrow(RangeError);
    expect(() => createRing(32)).toThrow(RangeError);
    const ring = createRing(256);
    expect(() => tryWriteFrame(ring, 1, 0, bytes(65, 1))).toThrow(RangeError);
  });

  it('a sleeping consumer is not woken per small frame, but at an END frame or a quarter-full ring', () => {
    const ring = createRing(1024);
    // sleepUntilFrames returns at once when frames wait (no 10 s sleep here).
    expect(tryWriteFrame(ring, 1, 0, bytes(8, 1))).toBe(true);
    const t0 = performance.now();
    sleepUntilFrames(ring, 10_000);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(Atomics.load(ring.ctrl, SLEEPING)).toBe(0);
    // Below a quarter: the producer leaves a sleeper alone (observed through the flag it checks).
    drainFrames(ring, () => undefined);
    Atomics.store(ring.ctrl, SLEEPING, 1);
    const notify = Atomics.notify;
    const calls: number[] = [];
    Atomics.notify = ((arr: Int32Array, index: number, count?: number) => {
      calls.push(index);
      return notify(arr, index, count);
    }) as typeof Atomics.notify;
    try {
      expect(tryWriteFrame(ring, 1, 0, bytes(100, 2))).toBe(true); // 108 of 1024 bytes used
      expect(calls).toEqual([]);
      expect(tryWriteFrame(ring, 1, 0, bytes(200, 3))).toBe(true); // 316 ≥ 256: wake
      expect(calls).toEqual([0]);
      drainFrames(ring, () => undefined); // notifies TAIL (index 1) for a waiting producer
      expect(tryWriteFrame(ring, 1, FRAME_END)).toBe(true); // END always wakes
      expect(calls).toEqual([0, 1, 0]);
    } finally {
      Atomics.notify = notify;
      Atomics.store(ring.ctrl, SLEEPING, 0);
    }
  });
});
