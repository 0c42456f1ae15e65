// The blob store contract: streamed, tenant-scoped, committed per request.
//
// An upload request stages each file part (`stage`: the bytes are streamed, hashed and
// made durable, but the blob is not visible yet), then either commits all of them at
// once (`commit`, before the 201) or discards them (`discard`, when any part or the
// request failed). A failed or aborted request therefore never becomes visible and
// leaves nothing behind. `put` is stage + commit for a single blob.
import type { Readable } from 'node:stream';

export interface BlobMeta {
  /** Opaque, tenant-scoped id. */
  id: string;
  tenant: string;
  sha256: string;
  size: number;
  mime: string;
  filename: string;
  createdAt: string;
}

export interface PutBlobInput {
  tenant: string;
  filename: string;
  mime: string;
  /** The part's bytes; the store consumes it fully or destroys it. */
  body: Readable;
  /** Hard cap in bytes: exceeding it rejects with GatewayError UPLOAD_TOO_LARGE and leaves nothing behind. */
  maxBytes: number;
  signal?: AbortSignal;
}

/** A blob whose bytes are stored but that is not visible until committed. Backend-specific. */
export interface StagedBlob {
  readonly meta: BlobMeta;
}

export interface BlobStore {
  readonly kind: 'local' | 's3';
  /** Stream one part in. Rejects (leaving nothing behind) on a limit, a body error or a store error. */
  stage(input: PutBlobInput): Promise<StagedBlob>;
  /**
   * Make staged blobs visible, all or nothing; resolves once they are durable. On failure
   * the blobs are discarded and the error is thrown.
   */
  commit(blobs: readonly StagedBlob[]): Promise<void>;
  /** Drop staged blobs (their request failed). Idempotent; never throws for a blob already gone. */
  discard(blobs: readonly StagedBlob[]): Promise<void>;
  /** stage + commit of one blob. */
  put(input: PutBlobInput): Promise<BlobMeta>;
  /** undefined when no committed blob with that id exists for the tenant. */
  get(tenant: string, id: string): Promise<{ meta: BlobMeta; body: Readable } | undefined>;
  close(): Promise<void>;
}
