// HashRing: a single-producer / single-consumer byte ring in shared memory that carries
// upload chunks from the main thread to a hashing worker, so sha256 is computed on the
// way (of the very bytes received, while they stream) without costing the main thread
// more than a memcpy.
//
// Layout: `ctrl` (Int32Array over a SharedArrayBuffer) holds HEAD (bytes ever written)
// and TAIL (bytes ever consumed) as 32-bit counters that wrap (used = HEAD − TAIL,
// computed with `| 0`), CLOSED, and SLEEPING (the consumer is in Atomics.wait). `data` (capacity bytes, a power of two) holds frames:
//
//   [ jobId int32 | word int32 ] [ payload … padded to 8 bytes ]
//
// word ≥ 0: DATA with `word` payload bytes; END: the job is complete (the consumer
// answers with the digest); ABORT: forget the job. Headers are 8-byte aligned and the
// capacity is a multiple of 8, so a header never straddles the end; a payload may, and
// is then read in two pieces.
//
// Ordering: the producer writes the frame, then publishes it with Atomics.store(HEAD)
// and wakes a sleeping consumer with Atomics.notify — only for an END frame or once a
// quarter of the ring is used, so the consumer wakes per ~quarter ring, not per chunk
// (each wake is a futex syscall and a context switch on a busy machine); the consumer reads the frame after an
// Atomics.load(HEAD) that sees it, and gives the space back with Atomics.store(TAIL) +
// notify. Seq-cst atomics order the plain byte accesses around them (JS memory model).
// This module is pure: both sides are plain functions of the shared buffers, so the
// protocol is unit-tested in one thread.

export const HEAD = 0;
export const TAIL = 1;
export const CLOSED = 2;
export const SLEEPING = 3;
const CTRL_WORDS = 4;
const HEADER_BYTES = 8;

export const FRAME_END = -1;
export const FRAME_ABORT = -2;

/**
 * Default ring size per hashing worker: ~1 ms of hashing, 16 socket reads. It is resident
 * memory for the worker's lifetime; a larger ring only absorbs longer stalls of the worker.
 */
export const DEFAULT_RING_BYTES = 1024 * 1024;

export interface RingBuffers {
  ctrl: Int32Array;
  data: Uint8Array;
  /** `data` as int32 words, for the 8-byte-aligned frame headers. */
  words: Int32Array;
}

/** What a consumer sees: a job's bytes (one or two views into the ring), its end, or its abort. */
export type RingFrame =
  | { job: number; kind: 'data'; pieces: [Uint8Array] | [Uint8Array, Uint8Array] }
  | { job: number; kind: 'end' }
  | { job: number; kind: 'abort' };

export function createRing(capacity = DEFAULT_RING_BYTES): RingBuffers {
  if (!Number.isInteger(capacity) || capacity < 64 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`ring capacity must be a power of two ≥ 64, got ${capacity}`);
  }
  return ringOf(new SharedArrayBuffer(CTRL_WORDS * 4), new SharedArrayBuffer(capacity));
}

/** The views of a ring from its two shared buffers (what a worker receives). */
export function ringOf(ctrl: SharedArrayBuffer, data: SharedArrayBuffer): RingBuffers {
  return { ctrl: new Int32Array(ctrl), data: new Uint8Array(data), words: new Int32Array(data) };
}

const align8 = (n: number) => (n + 7) & ~7;

/** Largest payload one DATA frame carries: a quarter of the ring, so a frame always fits an emptied ring. */
export function maxPayload(ring: RingBuffers): number {
  return ring.data.length / 4;
}

/** Bytes free for the producer now. */
export function freeBytes(ring: RingBuffers): number {
  return ring.data.length - ((Atomics.load(ring.ctrl, HEAD) - Atomics.load(ring.ctrl, TAIL)) | 0);
}

/** Ring bytes a DATA frame of `payload` bytes (≤ maxPayload) takes. */
export function frameBytes(payload: number): number {
  return HEADER_BYTES + align8(payload);
}

/**
 * Producer: append one frame if it fits and publish it; false when the ring lacks room
 * (nothing written). `payload` is for DATA frames (word ≥ 0), at most maxPayload bytes.
 */
export function tryWriteFrame(ring: RingBuffers, job: number, word: number, payload?: Uint8Array): boolean {
  const size = payload ? payload.length : 0;
  if (size > maxPayload(ring)) throw new RangeError(`frame payload ${size} exceeds ${maxPayload(ring)} bytes`);
  const need = frameBytes(size);
  if (freeBytes(ring) < need) return false;
  const mask = ring.data.length - 1;
  const head = Atomics.load(ring.ctrl, HEAD);
  const at = head & mask;
  ring.words[at >> 2] = job;
  ring.words[(at >> 2) + 1] = payload ? size : word;
  if (payload && size > 0) {
    const start = (at + HEADER_BYTES) & mask;
    const first = Math.min(size, ring.data.length - start);
    ring.data.set(first === size ? payload : payload.subarray(0, first), start);
    if (first < size) ring.data.set(payload.subarray(first), 0);
  }
  Atomics.store(ring.ctrl, HEAD, (head + need) | 0);
  if (Atomics.load(ring.ctrl, SLEEPING) === 1 && (word === FRAME_END || freeBytes(ring) <= (ring.data.length * 3) / 4)) {
    Atomics.notify(ring.ctrl, HEAD);
  }
  return true;
}

/**
 * Consumer: hand every published frame to `onFrame` in order, then give their space back
 * (TAIL + notify). The views passed to `onFrame` are valid only during the call.
 * Returns the number of frames read.
 */
export function drainFrames(ring: RingBuffers, onFrame: (frame: RingFrame) => void): number {
  const mask = ring.data.length - 1;
  const head = Atomics.load(ring.ctrl, HEAD);
  let tail = Atomics.load(ring.ctrl, TAIL);
  let frames = 0;
  while (tail !== head) {
    const at = tail & mask;
    const job = ring.words[at >> 2];
    const word = ring.words[(at >> 2) + 1];
    let payload = 0;
    if (word === FRAME_END) onFrame({ job, kind: 'end' });
    else if (word === FRAME_ABORT) onFrame({ job, kind: 'abort' });
    else if (word >= 0) {
      payload = word;
      const start = (at + HEADER_BYTES) & mask;
      const first = Math.min(payload, ring.data.length - start);
      onFrame({
        job,
        kind: 'data',
        pieces: first === payload ? [ring.data.subarray(start, start + payload)] : [ring.data.subarray(start), ring.data.subarray(0, payload - first)],
      });
    } else throw new Error(`hash ring: corrupt frame header (job ${job}, word ${word})`);
    tail = (tail + frameBytes(payload)) | 0;
    frames++;
  }
  if (frames > 0) {
    Atomics.store(ring.ctrl, TAIL, tail);
    Atomics.notify(ring.ctrl, TAIL);
  }
  return frames;
}

/**
 * Consumer: sleep until the producer wakes us (END frame, a quarter of the ring used, or
 * close) or `timeoutMs` passes. Returns at once when frames are waiting.
 */
export function sleepUntilFrames(ring: RingBuffers, timeoutMs: number): void {
  Atomics.store(ring.ctrl, SLEEPING, 1);
  // Seq-cst: a producer that published after this load sees SLEEPING = 1 and may notify;
  // one that published before it is seen here, and we do not sleep.
  const tail = Atomics.load(ring.ctrl, TAIL);
  if (Atomics.load(ring.ctrl, HEAD) === tail && !isClosed(ring)) Atomics.wait(ring.ctrl, HEAD, tail, timeoutMs);
  Atomics.store(ring.ctrl, SLEEPING, 0);
}

/** Ask the consumer to stop (it sees CLOSED after its next wake-up). */
export function closeRing(ring: RingBuffers): void {
  Atomics.store(ring.ctrl, CLOSED, 1);
  Atomics.notify(ring.ctrl, HEAD);
}

export function isClosed(ring: RingBuffers): boolean {
  return Atomics.load(ring.ctrl, CLOSED) === 1;
}
