// HashingFileSink: the local store's single stream stage between a part and the disk.
// It counts every byte and has it hashed while the part streams (a StreamHash: inline, or
// a HashPool worker told after each write how many bytes have landed), refuses the part
// with UPLOAD_TOO_LARGE as soon as the count passes the cap,
// writes to a new file (O_CREAT|O_EXCL) and, before it finishes, fsyncs the file and
// collects the digest; the descriptor is closed before 'close', so `pipeline` resolves
// only once the bytes are durable, the digest known and the file released.
//
// Why not HashMeter → fs.createWriteStream: one stage instead of two halves the stream
// bookkeeping per chunk, and `_writev` sends every chunk that queued up while the
// previous write was in flight in one writev(2) — fewer syscalls and thread-pool round
// trips, with no copying. The queue is bounded by `highWaterMark`: beyond it
// backpressure pauses the part, and so the socket.
import { close, fsync, open, writev } from 'node:fs';
import { Writable } from 'node:stream';
import { gatewayError } from '../errors.js';
import { inlineHash, type StreamHash } from './hash-pool.js';

/**
 * Default queue bound per sink: about one socket read (≤ 64 KiB) may wait while the
 * previous batch is being written; beyond that the part (and its socket) is paused, so
 * a part holds at most ~128 KiB here (× concurrent uploads — this bounds RSS).
 */
export const SINK_HIGH_WATER_MARK = 64 * 1024;

export interface HashingFileSinkOptions {
  /** Hard cap in bytes. */
  maxBytes: number;
  highWaterMark?: number;
  /** Where the bytes are hashed (default: inlineHash(), on the main thread). */
  hasher?: StreamHash;
}

type Callback = (error?: Error | null) => void;

export class HashingFileSink extends Writable {
  readonly path: string;
  readonly maxBytes: number;
  private readonly hasher: StreamHash;
  private fd: number | undefined;
  private count = 0;
  private digest: string | undefined;
  /** A writev or fsync is in flight; `ioDone` runs when it lands (destroy waits for it). */
  private writing = false;
  private ioDone: (() => void) | undefined;

  constructor(path: string, opts: HashingFileSinkOptions) {
    super({ highWaterMark: opts.highWaterMark ?? SINK_HIGH_WATER_MARK });
    this.path = path;
    this.maxBytes = opts.maxBytes;
    this.hasher = opts.hasher ?? inlineHash();
  }

  /** Bytes accepted so far. */
  get bytes(): number {
    return this.count;
  }

  /** Hex sha256 of every byte written; only valid after 'finish'. */
  get sha256(): string {
    if (this.digest === undefined) throw new Error('the sink has not finished: no sha256 yet');
    return this.digest;
  }

  override _construct(callback: Callback): void {
    open(this.path, 'wx', 0o644, (err, fd) => {
      if (err) return callback(err);
      this.fd = fd;
      callback();
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: Callback): void {
    this.writeChunks([chunk], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: Callback): void {
    const buffers = new Array<Buffer>(chunks.length);
    for (let i = 0; i < chunks.length; i++) buffers[i] = chunks[i].chunk;
    this.writeChunks(buffers, callback);
  }

  override _final(callback: Callback): void {
    const synced = new Promise<void>((resolve, reject) =>
      fsync(
        this.fd!,
        this.track((err) => (err ? reject(err) : resolve())),
      ),
    );
    const hashed = this.hasher.end(this.count);
    Promise.all([synced, hashed]).then(([, hash]) => {
      if (hash.size !== this.count) throw new Error(`hashed ${hash.size} bytes of ${this.count} written`);
      this.digest = hash.sha256;
      callback();
    }, callback);
  }

  override _destroy(error: Error | null, callback: Callback): void {
    // destroy() does not wait for a write in flight: closing the descriptor under it could
    // let the write land in another file that reused the number. Close once it is done.
    if (this.digest === undefined) this.hasher.abort();
    const closeFd = () => {
      const fd = this.fd;
      this.fd = undefined;
      if (fd === undefined) return callback(error);
      close(fd, (closeErr) => callback(error ?? closeErr));
    };
    if (this.writing) this.ioDone = closeFd;
    else closeFd();
  }

  private writeChunks(buffers: Buffer[], callback: Callback): void {
    let total = 0;
    for (const b of buffers) total += b.length;
    this.count += total;
    if (this.count > this.maxBytes) {
      callback(
        gatewayError('UPLOAD_TOO_LARGE', `a part exceeds the part size limit of ${this.maxBytes} bytes`, {
          details: { limit: this.maxBytes },
        }),
      );
      return;
    }
    this.hasher.update(buffers);
    const landed = this.count;
    writeAll(
      this.fd!,
      buffers,
      total,
      this.track((err) => {
        if (!err) this.hasher.written(landed);
        callback(err);
      }),
    );
  }

  /** Mark I/O on the descriptor in flight until the returned callback runs. */
  private track(callback: Callback): Callback {
    this.writing = true;
    return (err) => {
      this.writing = false;
      const done = this.ioDone;
      this.ioDone = undefined;
      done?.();
      callback(err);
    };
  }
}

/** writev(2) until every byte is written (a file may take fewer bytes per call). */
function writeAll(fd: number, buffers: Buffer[], total: number, callback: Callback): void {
  writev(fd, buffers, (err, written) => {
    if (err) return callback(err);
    if (written >= total) return callback();
    if (written <= 0) return callback(new Error(`writev(2) wrote nothing (${total} bytes left)`));
    // Partial write: skip what went out and retry the rest.
    let skip = written;
    const rest: Buffer[] = [];
    for (const b of buffers) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    writeAll(fd, rest, total - written, callback);
  });
}
