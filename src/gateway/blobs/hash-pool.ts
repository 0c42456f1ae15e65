// HashPool: sha256 computed while the upload streams, off the main thread. Each part
// being written gets a job on a worker: after every write to the part's temp file lands,
// the sink publishes the byte count (one Atomics.store), and the worker reads those bytes
// back from the page cache and hashes them as they come (hash-worker.ts). The main thread
// pays nothing per byte for hashing (~1 CPU-s/GB inline); nothing is copied between
// threads and neither waits for the other, so a busy worker never stalls an upload; at
// the end the worker hashes the last bytes and answers with the digest of exactly the
// bytes the file holds. Memory: one read buffer per worker.
//
// A worker that dies fails every job it holds (their end() promises reject) and is
// replaced for the next job; close() fails the rest and stops the workers.
// inlineHash() is the same interface on the main thread (CONDUIT_BLOB_HASH_THREADS=0).
import { createHash } from 'node:crypto';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import {
  CLOSED,
  createShared,
  SLOTS,
  viewsOf,
  wake,
  type HashJobMessage,
  type HashResultMessage,
  type HashWorkerData,
  type SharedViews,
} from './hash-shared.js';

export interface FileHash {
  sha256: string;
  size: number;
}

/** sha256 of a stream of bytes written, in order, to one file. */
export interface StreamHash {
  /** These bytes are about to be written (inline hashing hashes them here). */
  update(chunks: readonly Uint8Array[]): void;
  /** `total` bytes of the file have landed (been written); a worker may read up to there. */
  written(total: number): void;
  /** Every byte was written (`total` in all): the digest and the byte count. */
  end(total: number): Promise<FileHash>;
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
    },
    written() {},
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
  if (!new URL(moduleUrl).pathname.endsWith('.ts'))
    return { entry: new URL('./hash-worker.js', moduleUrl), eval: false };
  const source = new URL('./hash-worker.ts', moduleUrl).href;
  return {
    entry: `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`,
    eval: true,
  };
}

interface Ending {
  resolve: (hash: FileHash) => void;
  reject: (err: Error) => void;
}

interface Job {
  id: number;
  slot: number;
  /** Set once end() was called. */
  ending: Ending | undefined;
  /** The worker reported an error before end() was called. */
  error: Error | undefined;
}

/** One worker, its shared words and its job port. */
interface Lane {
  worker: Worker;
  views: SharedViews;
  port: MessagePort;
  /** Free progress slots. */
  free: number[];
  /** Jobs by id. */
  jobs: Map<number, Job>;
  failed: Error | undefined;
}

/**
 * The worker allocates almost nothing (a hash and a descriptor per job, one read
 * buffer): a small heap keeps its isolate's resident memory small too.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 };

export class HashPool {
  readonly size: number;
  private readonly lanes: Lane[] = [];
  private nextId = 1;
  private closed = false;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`hash pool size must be a positive integer, got ${size}`);
    this.size = size;
  }

  /** Workers running (≤ size). */
  get workers(): number {
    return this.lanes.length;
  }

  /** Jobs in progress over all workers. */
  get jobs(): number {
    return this.lanes.reduce((n, l) => n + l.jobs.size, 0);
  }

  /**
   * A job following the file at `path` (which must exist before written() is first
   * called), on the least busy worker — starting one while fewer than `size` run and all
   * are busy. Falls back to inlineHash() when every worker follows SLOTS jobs already.
   */
  start(path: string): StreamHash {
    if (this.closed) throw new Error('hash pool is closed');
    const lane = this.pickLane();
    const slot = lane?.free.pop();
    if (!lane || slot === undefined) return inlineHash();
    const job: Job = { id: this.nextId++, slot, ending: undefined, error: undefined };
    lane.jobs.set(job.id, job);
    if (lane.jobs.size === 1) lane.worker.ref(); // work in progress keeps the process alive
    Atomics.store(lane.views.progress, slot, 0n);
    let started = false;
    let finished = false;
    const post = (msg: HashJobMessage) => {
      lane.port.postMessage(msg);
      wake(lane.views);
    };
    const begin = () => {
      if (started) return;
      started = true;
      post({ type: 'start', slot, id: job.id, path });
    };
    return {
      update() {},
      written(total) {
        if (finished || lane.failed) return;
        begin();
        Atomics.store(lane.views.progress, slot, BigInt(total));
      },
      end: (total) => {
        if (finished) return Promise.reject(new Error('end() after end() or abort()'));
        finished = true;
        if (lane.failed) return Promise.reject(lane.failed);
        if (job.error) {
          this.forget(lane, job);
          return Promise.reject(job.error);
        }
        return new Promise<FileHash>((resolve, reject) => {
          job.ending = { resolve, reject };
          begin();
          post({ type: 'end', slot, size: total });
        });
      },
      abort: () => {
        if (finished) return;
        finished = true;
        if (!lane.failed && started) post({ type: 'abort', slot });
        this.forget(lane, job);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const lanes = this.lanes.splice(0);
    for (const lane of lanes) {
      this.fail(lane, new Error('hash pool closed'));
      Atomics.store(lane.views.ctrl, CLOSED, 1);
      wake(lane.views);
    }
    await Promise.all(lanes.map((l) => l.worker.terminate()));
  }

  private pickLane(): Lane | undefined {
    let best: Lane | undefined;
    for (const lane of this.lanes) if (lane.free.length > 0 && (!best || lane.jobs.size < best.jobs.size)) best = lane;
    if (best && (best.jobs.size === 0 || this.lanes.length >= this.size)) return best;
    return this.lanes.length < this.size ? this.spawn() : best;
  }

  private spawn(): Lane {
    const shared = createShared();
    const channel = new MessageChannel();
    const { entry, eval: isCode } = hashWorkerEntry();
    const workerData: HashWorkerData = { ...shared, jobs: channel.port2 };
    const lane: Lane = {
      worker: new Worker(entry, {
        eval: isCode,
        workerData,
        transferList: [channel.port2],
        resourceLimits: WORKER_LIMITS,
      }),
      views: viewsOf(shared.ctrl, shared.progress),
      port: channel.port1,
      free: Array.from({ length: SLOTS }, (_, i) => SLOTS - 1 - i),
      jobs: new Map(),
      failed: undefined,
    };
    lane.port.unref();
    lane.worker.on('message', (msg: HashResultMessage) => {
      const job = lane.jobs.get(msg.id);
      if (!job) return; // aborted meanwhile
      if (msg.error === undefined && job.ending) {
        this.forget(lane, job);
        job.ending.resolve({ sha256: msg.sha256, size: msg.size });
        return;
      }
      const err = msg.error
        ? Object.assign(new Error(`hashing a blob temp file: ${msg.error.message}`), { code: msg.error.code })
        : new Error('hash worker answered before the job ended');
      if (!job.ending) {
        job.error = err; // end() rejects with it
        return;
      }
      this.forget(lane, job);
      job.ending.reject(err);
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

  private forget(lane: Lane, job: Job): void {
    if (!lane.jobs.delete(job.id)) return;
    lane.free.push(job.slot);
    if (lane.jobs.size === 0) lane.worker.unref();
  }

  /** The lane can no longer hash: reject everything it holds. */
  private fail(lane: Lane, err: Error): void {
    if (lane.failed) return;
    lane.failed = err;
    for (const job of lane.jobs.values()) job.ending?.reject(err);
    lane.jobs.clear();
    lane.worker.unref();
    lane.port.close();
  }
}
