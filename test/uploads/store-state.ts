// What a store holds, to prove a failed or aborted upload changed nothing.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UploadGateway } from './fixture.js';

export async function storeState(gw: UploadGateway): Promise<{ files: string[]; manifest: string }> {
  const dir = gw.env.CONDUIT_BLOB_BACKEND === 's3' ? gw.s3Dir! : gw.dir;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    // s3rver does not implement AbortMultipartUpload; AWS/MinIO free aborted parts.
    .filter((f) => !f.includes('._S3rver_uploads'))
    .sort();
  const manifest = await readFile(join(gw.dir, 'manifest.jsonl'), 'utf8').catch(() => '');
  return { files, manifest };
}
