// What a HashPool and its workers share: the control words, the per-job progress slots
// and the messages. A job is a file being written: the main thread publishes how many of
// its bytes have landed (Atomics.store into the job's slot after each write), and the
// worker reads those bytes back from the page cache and hashes them while the upload is
// still streaming. No upload bytes cross threads and neither side waits for the other
// until the end, when the worker hashes the last few bytes and answers with the digest.

import type { MessagePort } from 'node:worker_threads';

/** ctrl words (Int32Array): a wake-up counter, and the worker's stop flag. */
export const WAKE = 0;
export const CLOSED = 1;
export const CTRL_WORDS = 2;

/** Jobs one worker follows at once (one progress slot each). */
export const SLOTS = 1024;

/** main → worker (on the job port; the worker polls it). */
export type HashJobMessage =
  | { type: 'start'; slot: number; id: number; path: string }
  | { type: 'end'; slot: number; size: number }
  | { type: 'abort'; slot: number };

/** worker → main. */
export type HashResultMessage =
  | { id: number; sha256: string; size: number; error?: undefined }
  | { id: number; error: { message: string; code?: string } };

export interface HashWorkerData {
  ctrl: SharedArrayBuffer;
  progress: SharedArrayBuffer;
  jobs: MessagePort;
}

export interface SharedViews {
  ctrl: Int32Array;
  /** Bytes of each slot's file that have landed (written, readable). */
  progress: BigInt64Array;
}

export function createShared(): { ctrl: SharedArrayBuffer; progress: SharedArrayBuffer } {
  return { ctrl: new SharedArrayBuffer(CTRL_WORDS * 4), progress: new SharedArrayBuffer(SLOTS * 8) };
}

export function viewsOf(ctrl: SharedArrayBuffer, progress: SharedArrayBuffer): SharedViews {
  return { ctrl: new Int32Array(ctrl), progress: new BigInt64Array(progress) };
}

/** Wake the worker (after posting it a message). */
export function wake(views: SharedViews): void {
  Atomics.add(views.ctrl, WAKE, 1);
  Atomics.notify(views.ctrl, WAKE);
}
