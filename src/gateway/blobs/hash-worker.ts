// Worker thread of the HashPool: consumes its HashRing and keeps one sha256 per job in
// progress. DATA frames are hashed straight from the shared ring (no copy); END answers
// { id, sha256, size } on the port; ABORT forgets the job. The thread sleeps in
// Atomics.wait until the producer wakes it (see hash-ring.ts) and leaves its loop when
// the ring is closed.
import { createHash, type Hash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { drainFrames, isClosed, ringOf, sleepUntilFrames, type RingFrame } from './hash-ring.js';

export interface HashWorkerData {
  ctrl: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

export interface HashDoneMessage {
  id: number;
  sha256: string;
  size: number;
}

/** Wake up at least this often (to look at CLOSED, or frames below the wake threshold). */
const WAIT_MS = 1000;

const port = parentPort;
if (!port) throw new Error('hash-worker runs as a worker thread of a HashPool only');
const { ctrl, data } = workerData as HashWorkerData;
const ring = ringOf(ctrl, data);
const jobs = new Map<number, { hash: Hash; size: number }>();

const onFrame = (frame: RingFrame): void => {
  if (frame.kind === 'abort') {
    jobs.delete(frame.job);
    return;
  }
  let job = jobs.get(frame.job);
  if (!job) {
    job = { hash: createHash('sha256'), size: 0 };
    jobs.set(frame.job, job);
  }
  if (frame.kind === 'data') {
    for (const piece of frame.pieces) {
      job.hash.update(piece);
      job.size += piece.length;
    }
    return;
  }
  jobs.delete(frame.job);
  const done: HashDoneMessage = { id: frame.job, sha256: job.hash.digest('hex'), size: job.size };
  port.postMessage(done);
};

while (!isClosed(ring)) {
  if (drainFrames(ring, onFrame) === 0) sleepUntilFrames(ring, WAIT_MS);
}
