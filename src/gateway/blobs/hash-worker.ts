// Worker thread of the HashPool: follows the files being written and hashes each one as
// its bytes land. Per job it keeps a descriptor, a sha256 and the offset hashed so far; it
// reads (from the page cache) whenever a job has at least READ_MIN_BYTES new bytes, or
// the job has ended, into one reused buffer — its memory is flat whatever the uploads.
// When an ended job is hashed to its final size it answers { id, sha256, size }.
// Between rounds with nothing to read it sleeps in Atomics.wait: POLL_MS while jobs are
// open (progress is published without a wake-up), until woken otherwise.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import {
  CLOSED,
  viewsOf,
  WAKE,
  type HashJobMessage,
  type HashResultMessage,
  type HashWorkerData,
} from './hash-shared.js';

/** Read size; one buffer, allocated once. */
const READ_BYTES = 1024 * 1024;
/** Read a job still being written only once this much is waiting (fewer, larger reads). */
const READ_MIN_BYTES = 256 * 1024;
/** Sleep between rounds while jobs are open. */
const POLL_MS = 4;
/** Sleep with no job open (a wake-up comes with every new job; this only bounds it). */
const IDLE_MS = 1000;

interface Job {
  id: number;
  fd: number;
  hash: Hash;
  offset: number;
  /** Set by 'end': the file's final size. */
  size: number | undefined;
}

const port = parentPort;
if (!port) throw new Error('hash-worker runs as a worker thread of a HashPool only');
const data = workerData as HashWorkerData;
const views = viewsOf(data.ctrl, data.progress);
const jobs = new Map<number, Job>();
const buffer = Buffer.allocUnsafe(READ_BYTES);

function answer(msg: HashResultMessage): void {
  port!.postMessage(msg);
}

function fail(slot: number, job: Job, err: unknown): void {
  const e = err as NodeJS.ErrnoException;
  answer({ id: job.id, error: { message: e?.message ?? String(err), code: e?.code } });
  drop(slot);
}

function drop(slot: number): void {
  const job = jobs.get(slot);
  if (!job) return;
  jobs.delete(slot);
  try {
    closeSync(job.fd);
  } catch {
    // already closed: nothing to release
  }
}

function onMessage(msg: HashJobMessage): void {
  if (msg.type === 'start') {
    try {
      jobs.set(msg.slot, {
        id: msg.id,
        fd: openSync(msg.path, 'r'),
        hash: createHash('sha256'),
        offset: 0,
        size: undefined,
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      answer({ id: msg.id, error: { message: e?.message ?? String(err), code: e?.code } });
    }
  } else if (msg.type === 'end') {
    const job = jobs.get(msg.slot);
    if (job) job.size = msg.size;
  } else {
    drop(msg.slot);
  }
}

/** Hash what has landed of one job; true when it read anything. */
function advance(slot: number, job: Job): boolean {
  const landed = job.size ?? Number(Atomics.load(views.progress, slot));
  const waiting = landed - job.offset;
  if (waiting <= 0 || (job.size === undefined && waiting < READ_MIN_BYTES)) return false;
  // At most one buffer per job per round, so every job moves.
  const n = readSync(job.fd, buffer, 0, Math.min(READ_BYTES, waiting), job.offset);
  if (n === 0) throw new Error(`hash worker: the file ended at ${job.offset} bytes, ${landed} had landed`);
  job.hash.update(buffer.subarray(0, n));
  job.offset += n;
  return true;
}

function round(): boolean {
  let worked = false;
  for (const [slot, job] of jobs) {
    try {
      if (advance(slot, job)) worked = true;
      if (job.size !== undefined && job.offset >= job.size) {
        answer({ id: job.id, sha256: job.hash.digest('hex'), size: job.offset });
        drop(slot);
      }
    } catch (err) {
      fail(slot, job, err);
    }
  }
  return worked;
}

while (Atomics.load(views.ctrl, CLOSED) === 0) {
  const woken = Atomics.load(views.ctrl, WAKE);
  for (let m = receiveMessageOnPort(data.jobs); m; m = receiveMessageOnPort(data.jobs))
    onMessage(m.message as HashJobMessage);
  if (!round()) Atomics.wait(views.ctrl, WAKE, woken, jobs.size > 0 ? POLL_MS : IDLE_MS);
}
for (const slot of [...jobs.keys()]) drop(slot);
