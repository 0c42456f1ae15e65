// The blob store contract: streamed, content-addressed, tenant-scoped.
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

export interface BlobStore {
  readonly kind: 'local' | 's3';
  put(input: PutBlobInput): Promise<BlobMeta>;
  /** undefined when no blob with that id exists for the tenant. */
  get(tenant: string, id: string): Promise<{ meta: BlobMeta; body: Readable } | undefined>;
  /**
   * Remove a blob (used to roll back the earlier parts of a failed upload request).
   * Resolves false when no blob with that id exists for the tenant.
   */
  delete(tenant: string, id: string): Promise<boolean>;
  close(): Promise<void>;
}
