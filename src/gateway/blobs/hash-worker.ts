// Worker thread of the HashPool: hashes files it is told about and answers with their
// sha256 and size. It reads each file back (from the page cache, it was just written)
// into one reused buffer, so its memory stays flat whatever the file sizes, and no
// buffer ever crosses threads: only paths and hex digests are posted.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { HashJobMessage, HashResultMessage } from './hash-pool.js';

/** Read size per call; one buffer per worker, allocated once. */
const READ_BYTES = 1024 * 1024;

const port = parentPort;
if (!port) throw new Error('hash-worker.ts runs as a worker thread (HashPool) only');
const buffer = Buffer.allocUnsafe(READ_BYTES);

port.on('message', (job: HashJobMessage) => {
  let answer: HashResultMessage;
  try {
    answer = { id: job.id, ...hashFile(job.path) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    answer = { id: job.id, error: { message: e?.message ?? String(err), code: e?.code } };
  }
  port.postMessage(answer);
});

function hashFile(path: string): { sha256: string; size: number } {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  let size = 0;
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, READ_BYTES, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      size += n;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest('hex'), size };
}
