// Public entry of the blob stores.
import type { Logger } from 'pino';
import type { EnvSettings } from '../config/env.js';
import { LocalBlobStore } from './local.js';
import type { BlobStore } from './types.js';

// Contract
export type { BlobMeta, BlobStore, PutBlobInput, StagedBlob } from './types.js';
// Backends
export { LocalBlobStore, defaultHashThreads, type LocalBlobStoreOptions } from './local.js';
// Local layout (paths relative to the store directory)
export {
  blobContentPath,
  blobRecordPath,
  objectPath,
  tenantDir,
  BY_ID_DIR,
  LAYOUT_FILE,
  MANIFEST_FILE,
  OBJECTS_DIR,
  TMP_DIR,
} from './layout.js';
// The S3 backend is loaded on demand (the AWS SDK costs ~20 MiB of RSS): import './s3.js' directly if needed.
export type { S3BlobStore, S3BlobStoreOptions } from './s3.js';
// Building blocks
export { HashMeter } from './meter.js';
export { HashPool, inlineHash, type FileHash, type StreamHash } from './hash-pool.js';
export { newBlobId, isBlobId } from './ids.js';
export { manifestLines, parseManifestLine, type ManifestLine } from './manifest.js';
// Operations
export { runBlobsVerify, verifyLocalStore, type VerifyReport } from './verify.js';

/** The store selected by CONDUIT_BLOB_BACKEND, opened and ready. */
export async function createBlobStore(env: EnvSettings, logger: Logger): Promise<BlobStore> {
  if (env.CONDUIT_BLOB_BACKEND === 's3') {
    const { s3StoreFromEnv } = await import('./s3.js');
    const store = s3StoreFromEnv(env, logger);
    await store.ensureBucket();
    return store;
  }
  return LocalBlobStore.open({ dir: env.CONDUIT_BLOB_LOCAL_DIR, logger, hashThreads: env.CONDUIT_BLOB_HASH_THREADS });
}
