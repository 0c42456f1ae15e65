// HashPool: sha256 of complete files on worker threads, so the main thread (which parses
// multipart bodies and writes them) does not spend ~0.65 CPU-s/GB hashing.
//
// The local store hands a part's temp file here once it is written and fsynced; a worker
// reads it back (page cache) into one reused 1 MiB buffer and answers with the hex digest
// and the byte count. Only paths and digests cross threads: memory stays flat (one buffer
// per worker), unlike handing over the chunk buffers themselves, which the worker's
// isolate frees only when it collects them.
//
// Jobs wait in a FIFO queue while every worker is busy; a job whose signal aborts while it
// is queued leaves the queue at once and rejects with the signal's reason (the caller
// removes its file). A worker that dies fails its current job and is replaced on demand.
// Workers start lazily (up to `size`) and are terminated by close().
import { Worker } from 'node:worker_threads';

export interface HashJobMessage {
  id: number;
  path: string;
}

export type HashResultMessage =
  | { id: number; sha256: string; size: number; error?: undefined }
  | { id: number; error: { message: string; code?: string } };

export interface FileHash {
  sha256: string;
  size: number;
}

interface Job {
  id: number;
  path: string;
  resolve: (hash: FileHash) => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
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

export class HashPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`hash pool size must be a positive integer, got ${size}`);
    this.size = size;
  }

  /** Jobs waiting for a worker (not counting the ones being hashed). */
  get queued(): number {
    return this.queue.length;
  }

  /** Jobs being hashed by a worker now. */
  get busy(): number {
    return this.slots.filter((s) => s.job !== undefined).length;
  }

  /** Workers started (≤ size). */
  get workers(): number {
    return this.slots.length;
  }

  /** sha256 and size of the file at `path`, as read by a worker. */
  hashFile(path: string, signal?: AbortSignal): Promise<FileHash> {
    if (this.closed) return Promise.reject(new Error('hash pool is closed'));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<FileHash>((resolve, reject) => {
      const job: Job = { id: this.nextId++, path, resolve, reject, signal };
      if (signal) {
        job.onAbort = () => {
          const i = this.queue.indexOf(job);
          if (i === -1) return; // already with a worker: it finishes (it only reads)
          this.queue.splice(i, 1);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const gone = new Error('hash pool closed');
    for (const job of this.queue.splice(0)) this.settle(job, gone);
    const slots = this.slots.splice(0);
    for (const slot of slots) if (slot.job) this.settle(slot.job, gone);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.job === undefined) ?? this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref(); // a job in progress keeps the process alive
      const msg: HashJobMessage = { id: job.id, path: job.path };
      slot.worker.postMessage(msg);
    }
  }

  private spawn(): Slot | undefined {
    if (this.slots.length >= this.size) return undefined;
    const { entry, eval: isCode } = hashWorkerEntry();
    const slot: Slot = { worker: new Worker(entry, { eval: isCode }), job: undefined };
    slot.worker.on('message', (msg: HashResultMessage) => {
      const job = slot.job;
      if (!job || job.id !== msg.id) return;
      slot.job = undefined;
      slot.worker.unref();
      if (msg.error) {
        const err = new Error(`hashing ${job.path}: ${msg.error.message}`) as NodeJS.ErrnoException;
        if (msg.error.code) err.code = msg.error.code;
        this.settle(job, err);
      } else {
        this.settle(job, undefined, { sha256: msg.sha256, size: msg.size });
      }
      this.dispatch();
    });
    const fail = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i === -1) return; // closed, or already handled ('error' is followed by 'exit')
      this.slots.splice(i, 1);
      if (slot.job) this.settle(slot.job, err);
      slot.job = undefined;
      if (!this.closed) this.dispatch();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => fail(new Error(`hash worker exited (code ${code})`)));
    // An idle worker must not keep the process alive (ref'd while it has a job).
    slot.worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private settle(job: Job, err: Error | undefined, hash?: FileHash): void {
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    if (err) job.reject(err);
    else job.resolve(hash!);
  }
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : Object.assign(new Error('the operation was aborted'), { name: 'AbortError' });
}
