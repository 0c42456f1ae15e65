// Layout 1 → 2: stores written before per-blob records kept the manifest as the only
// index (loaded whole into memory) and content in objects/ab/cd/<sha256>. Migration
// streams the manifest once (constant memory) and gives every blob its record and its
// own hard link under by-id/. Idempotent: blobs that have a record are skipped, so an
// interrupted migration resumes at the next start (the layout file is written last).
import { link, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, isErrno, writeFileAtomic } from './durable.js';
import { isBlobId } from './ids.js';
import { blobContentPath, blobDir, blobRecordPath, MANIFEST_FILE, objectPath, TMP_DIR } from './layout.js';
import { formatManifestLine, manifestLines } from './manifest.js';

export interface MigrationResult {
  blobs: number;
  missingContent: number;
  badLines: number;
}

export async function migrateV1(dir: string): Promise<MigrationResult> {
  const result: MigrationResult = { blobs: 0, missingContent: 0, badLines: 0 };
  for await (const { meta } of manifestLines(join(dir, MANIFEST_FILE))) {
    if (!meta || !isBlobId(meta.id)) {
      result.badLines++;
      continue;
    }
    const record = join(dir, blobRecordPath(meta.tenant, meta.id));
    if (
      await stat(record).then(
        () => true,
        () => false,
      )
    )
      continue;
    await mkdir(join(dir, blobDir(meta.tenant, meta.id)), { recursive: true });
    try {
      await link(join(dir, objectPath(meta.sha256)), join(dir, blobContentPath(meta.tenant, meta.id)));
    } catch (err) {
      if (isErrno(err, 'ENOENT'))
        result.missingContent++; // verify reports it
      else if (!isErrno(err, 'EEXIST')) throw err;
    }
    await writeFileAtomic(join(dir, TMP_DIR, `${meta.id}.json`), record, formatManifestLine(meta));
    await fsyncDir(join(dir, blobDir(meta.tenant, meta.id)));
    result.blobs++;
  }
  return result;
}
