// HashPool: sha256 on the way, off the main thread. Each upload part gets a StreamHash;
// its chunks are copied (one memcpy) into a worker's shared HashRing as they stream to
// disk, and the worker hashes them from there, so the digest is of the bytes received and
// is ready as soon as the last chunk is. The main thread's hashing cost (~1 CPU-s/GB)
// becomes a copy (~0.05 CPU-s/GB); memory is the ring (DEFAULT_RING_BYTES) per worker.
//
// Backpressure: when a ring is full, update() returns a promise that settles once the
// worker has made room (Atomics.waitAsync on TAIL); the file sink holds its write callback
// until then, so the part — and its socket — pause. Frames of all jobs of a worker leave
// in one FIFO, so each job's bytes stay in order.
//
// A worker that dies fails every job it holds (their update/end promises reject) and is
// replaced for the next job; close() fails the rest and stops the workers.
// inlineHash() is the same interface on the main thread (CONDUIT_BLOB_HASH_THREADS=0).
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { closeRing, createRing, FRAME_ABORT, FRAME_END, maxPayload, TAIL, tryWriteFrame, type RingBuffers } from './hash-ring.js';
import type { HashDoneMessage, HashWorkerData } from './hash-worker.js';

export interface FileHash {
  sha256: string;
  size: number;
}

/** sha256 of one stream of bytes, fed in order. */
export interface StreamHash {
  /** Hash these bytes next. undefined when taken at once; a promise when it had to wait for room. */
  update(chunks: readonly Uint8Array[]): Promise<void> | undefined;
  /** Every byte was given: the digest and the byte count. */
  end(): Promise<FileHash>;
  /** The bytes are abandoned: forget the job (end() is not called after this). */
  abort(): void;
}

/** The main-thread StreamHash. */
export function inlineHash(): StreamHash {
  const hash = createHash('sha256');
  let size = 0;
  return {
    update(chunks) {
      for (const c of chunks) {
        hash.update(c);
        size += c.length;
      }
      return undefined;
    },
    end: () => Promise.resolve({ sha256: hash.digest('hex'), size }),
    abort() {},
  };
}

/**
 * The worker's entry next to this module: hash-worker.js in dist/; hash-worker.ts when
 * this module runs from source (tsx, vitest). Node 20 cannot load .ts in a worker and
 * ignores `--import tsx` in a worker's execArgv, so the source entry is started through a
 * one-line bootstrap that registers tsx (a dev dependency) in the worker first.
 */
export function hashWorkerEntry(moduleUrl: string = import.meta.url): { entry: URL | string; eval: boolean } {
  if (!new URL(moduleUrl).pathname.endsWith('.ts')) return { entry: new URL('./hash-worker.js', moduleUrl), eval: false };
  const source = new URL('./hash-worker.ts', moduleUrl).href;
  return {
    entry: `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`,
    eval: true,
  };
}

interface Pending {
  job: number;
  word: number;
  payload: Uint8Array | undefined;
  /** Set on the last frame of an update(): settles its promise. */
  done?: { resolve: () => void; reject: (err: Error) => void };
}

interface Ending {
  resolve: (hash: FileHash) => void;
  reject: (err: Error) => void;
}

/** One worker, its ring, and the frames waiting for room in it. */
interface Lane {
  worker: Worker;
  ring: RingBuffers;
  queue: Pending[];
  waiting: boolean;
  /** Jobs started and not yet ended/aborted; the value is set once end() was called. */
  jobs: Map<number, Ending | undefined>;
  nextJob: number;
  failed: Error | undefined;
}

/** Atomics.waitAsync (ES2024, in Node ≥ 16; the project's TypeScript lib is ES2022). */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeoutMs?: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/**
 * The worker allocates almost nothing (a hash per job, a view per frame): a small heap
 * keeps its isolate's resident memory small too.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 };

/** How long one Atomics.waitAsync may sleep before the lane looks again (worker gone?). */
const WAIT_MS = 1000;

export interface HashPoolOptions {
  /** Ring bytes per worker (a power of two); default DEFAULT_RING_BYTES. */
  ringBytes?: number;
}

export class HashPool {
  readonly size: number;
  private readonly ringBytes: number | undefined;
  private readonly lanes: Lane[] = [];
  private closed = false;

  constructor(size: number, opts: HashPoolOptions = {}) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`hash pool size must be a positive integer, got ${size}`);
    this.size = size;
    this.ringBytes = opts.ringBytes;
  }

  /** Workers running (≤ size). */
  get workers(): number {
    return this.lanes.length;
  }

  /** Jobs in progress over all workers. */
  get jobs(): number {
    return this.lanes.reduce((n, l) => n + l.jobs.size, 0);
  }

  /** Frames waiting for room in a ring (backpressure in effect when > 0). */
  get queued(): number {
    return this.lanes.reduce((n, l) => n + l.queue.length, 0);
  }

  /** A new job on the least busy worker (starting one while fewer than `size` run and all are busy). */
  start(): StreamHash {
    if (this.closed) throw new Error('hash pool is closed');
    const lane = this.pickLane();
    const id = lane.nextJob;
    lane.nextJob = id >= 0x7fffffff ? 1 : id + 1;
    lane.jobs.set(id, undefined);
    if (lane.jobs.size === 1) lane.worker.ref(); // work in progress keeps the process alive
    let finished = false;
    return {
      update: (chunks) => {
        if (lane.failed) return Promise.reject(lane.failed);
        if (finished) throw new Error('update() after end() or abort()');
        return this.send(lane, id, chunks);
      },
      end: () => {
        if (lane.failed) return Promise.reject(lane.failed);
        if (finished) throw new Error('end() after end() or abort()');
        finished = true;
        return new Promise<FileHash>((resolve, reject) => {
          lane.jobs.set(id, { resolve, reject });
          this.push(lane, { job: id, word: FRAME_END, payload: undefined });
        });
      },
      abort: () => {
        if (finished || lane.failed) return;
        finished = true;
        // Frames of this job still waiting need not reach the worker.
        for (const p of lane.queue) if (p.job === id) p.done?.resolve();
        lane.queue = lane.queue.filter((p) => p.job !== id);
        this.push(lane, { job: id, word: FRAME_ABORT, payload: undefined });
        this.forget(lane, id);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const lanes = this.lanes.splice(0);
    for (const lane of lanes) {
      this.fail(lane, new Error('hash pool closed'));
      closeRing(lane.ring);
    }
    await Promise.all(lanes.map((l) => l.worker.terminate()));
  }

  private pickLane(): Lane {
    let best: Lane | undefined;
    for (const lane of this.lanes) if (!best || lane.jobs.size < best.jobs.size) best = lane;
    if (best && (best.jobs.size === 0 || this.lanes.length >= this.size)) return best;
    return this.spawn();
  }

  /** Queue the chunks as DATA frames (split to the ring's frame size) and flush. */
  private send(lane: Lane, job: number, chunks: readonly Uint8Array[]): Promise<void> | undefined {
    const max = maxPayload(lane.ring);
    const before = lane.queue.length;
    for (const chunk of chunks) {
      for (let off = 0; off < chunk.length; off += max) {
        const payload = off === 0 && chunk.length <= max ? chunk : chunk.subarray(off, off + max);
        // The fast path: nothing waits ahead of us and the frame fits.
        if (lane.queue.length === 0 && tryWriteFrame(lane.ring, job, 0, payload)) continue;
        lane.queue.push({ job, word: 0, payload });
      }
    }
    if (lane.queue.length === before) return undefined;
    return new Promise<void>((resolve, reject) => {
      lane.queue[lane.queue.length - 1].done = { resolve, reject };
      this.waitForRoom(lane);
    });
  }

  private push(lane: Lane, frame: Pending): void {
    if (lane.queue.length === 0 && tryWriteFrame(lane.ring, frame.job, frame.word, frame.payload)) return;
    lane.queue.push(frame);
    this.waitForRoom(lane);
  }

  /** Write queued frames while they fit; when one does not, sleep until the worker frees space. */
  private flush(lane: Lane): void {
    let i = 0;
    for (; i < lane.queue.length; i++) {
      const f = lane.queue[i];
      if (!tryWriteFrame(lane.ring, f.job, f.word, f.payload)) break;
      f.done?.resolve();
    }
    if (i > 0) lane.queue.splice(0, i);
    if (lane.queue.length > 0) this.waitForRoom(lane);
  }

  private waitForRoom(lane: Lane): void {
    if (lane.waiting || lane.failed) return;
    lane.waiting = true;
    const wait = waitAsync(lane.ring.ctrl, TAIL, Atomics.load(lane.ring.ctrl, TAIL), WAIT_MS);
    const wake = () => {
      lane.waiting = false;
      if (!lane.failed) this.flush(lane);
    };
    if (wait.async) void wait.value.then(wake);
    else queueMicrotask(wake); // TAIL moved between the failed write and now
  }

  private spawn(): Lane {
    const ring = createRing(this.ringBytes);
    const { entry, eval: isCode } = hashWorkerEntry();
    const workerData: HashWorkerData = { ctrl: ring.ctrl.buffer as SharedArrayBuffer, data: ring.data.buffer as SharedArrayBuffer };
    const lane: Lane = { worker: new Worker(entry, { eval: isCode, workerData, resourceLimits: WORKER_LIMITS }), ring, queue: [], waiting: false, jobs: new Map(), nextJob: 1, failed: undefined };
    lane.worker.on('message', (msg: HashDoneMessage) => {
      const ending = lane.jobs.get(msg.id);
      if (!ending) return;
      this.forget(lane, msg.id);
      ending.resolve({ sha256: msg.sha256, size: msg.size });
    });
    const gone = (err: Error) => {
      const i = this.lanes.indexOf(lane);
      if (i !== -1) this.lanes.splice(i, 1);
      this.fail(lane, err);
    };
    lane.worker.on('error', gone);
    lane.worker.on('exit', (code) => gone(new Error(`hash worker exited (code ${code})`)));
    lane.worker.unref(); // an idle worker must not keep the process alive
    this.lanes.push(lane);
    return lane;
  }

  private forget(lane: Lane, job: number): void {
    lane.jobs.delete(job);
    if (lane.jobs.size === 0) lane.worker.unref();
  }

  /** The lane can no longer hash: reject everything it holds. */
  private fail(lane: Lane, err: Error): void {
    if (lane.failed) return;
    lane.failed = err;
    for (const p of lane.queue.splice(0)) p.done?.reject(err);
    for (const ending of lane.jobs.values()) ending?.reject(err);
    lane.jobs.clear();
    lane.worker.unref();
  }
}
