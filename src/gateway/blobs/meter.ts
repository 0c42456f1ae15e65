// HashMeter: a pass-through Transform that hashes (sha256) and counts the bytes flowing
// through it and fails the stream with UPLOAD_TOO_LARGE as soon as they exceed the cap.
// Both stores put it between the client's part and the sink, so the digest and size are
// known the moment the sink finishes, without ever holding the whole body.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { gatewayError } from '../errors.js';

export class HashMeter extends Transform {
  readonly maxBytes: number;
  private readonly hash: Hash = createHash('sha256');
  private count = 0;
  private digest: string | undefined;

  constructor(maxBytes: number) {
    super();
    this.maxBytes = maxBytes;
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.count;
  }

  /** Hex sha256 of everything that passed; only valid after the stream finished. */
  get sha256(): string {
    if (this.digest === undefined) this.digest = this.hash.digest('hex');
    return this.digest;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.maxBytes) {
      done(
        gatewayError('UPLOAD_TOO_LARGE', `a part exceeds the part size limit of ${this.maxBytes} bytes`, {
          details: { limit: this.maxBytes },
        }),
      );
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }
}
