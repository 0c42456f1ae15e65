// Paths of the local store, all relative to CONDUIT_BLOB_LOCAL_DIR:
//
//   manifest.jsonl                        append-only integrity log, one line per committed blob
//   by-id/<tenant>/<i2>/<id>              the blob's content (a hard link; identical content shares one inode)
//   by-id/<tenant>/<i2>/<id>.json         the blob's record (same JSON as its manifest line)
//   objects/ab/cd/<sha256>                dedup index: one more hard link per distinct content
//   tmp/                                  uploads in progress (emptied at start)
//   layout                                the layout version ("2")
//
// <tenant> is the tenant name when it is 1–64 of [A-Za-z0-9_-], else "~" + 32 hex digits
// of its sha256 (the two forms cannot collide); <i2> is the id's first two characters.
// Ids come from newBlobId (base64url), and callers check them with isBlobId before any
// path is built; client filenames never take part in a path.
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export const MANIFEST_FILE = 'manifest.jsonl';
export const OBJECTS_DIR = 'objects';
export const BY_ID_DIR = 'by-id';
export const TMP_DIR = 'tmp';
export const LAYOUT_FILE = 'layout';
export const LAYOUT_VERSION = '2';

const SAFE_TENANT = /^[A-Za-z0-9_-]{1,64}$/;

/** The directory name of a tenant under by-id/. */
export function tenantDir(tenant: string): string {
  return SAFE_TENANT.test(tenant) ? tenant : `~${createHash('sha256').update(tenant).digest('hex').slice(0, 32)}`;
}

/** Relative path of the dedup index entry for a digest: objects/ab/cd/<sha256>. */
export function objectPath(sha256: string): string {
  return join(OBJECTS_DIR, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
}

/** Relative directory holding a blob's content and record. */
export function blobDir(tenant: string, id: string): string {
  return join(BY_ID_DIR, tenantDir(tenant), id.slice(0, 2));
}

/** Relative path of a blob's content. */
export function blobContentPath(tenant: string, id: string): string {
  return join(blobDir(tenant, id), id);
}

/** Relative path of a blob's record. */
export function blobRecordPath(tenant: string, id: string): string {
  return join(blobDir(tenant, id), `${id}.json`);
}
