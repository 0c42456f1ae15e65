// `conduit blobs verify [--dir D]`: check a local store against its manifest, streaming
// the manifest line by line. For every line (a committed blob) it checks the blob's record
// (present, same fields) and re-hashes its content (each distinct inode once). It then
// walks by-id/ for names no line refers to (orphans) and objects/ for index entries whose
// content does not match their name (they would poison dedup) or that no blob holds.
//
// Fails (exit 1) on mismatches, missing records or content, and unreadable manifest
// lines. Orphans — left by a crash between placing a blob and appending its manifest
// line, or by a crashed upload's index entry — are reported but do not fail (safe to delete).
//
// Memory: one id per blob (to find orphans) and one digest per distinct content; this is
// an offline tool (about 100 bytes per blob), the gateway itself holds nothing per blob.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { EnvSettings } from '../config/env.js';
import { isErrno } from './durable.js';
import { blobContentPath, blobRecordPath, BY_ID_DIR, LAYOUT_FILE, MANIFEST_FILE, OBJECTS_DIR } from './layout.js';
import { formatManifestLine, manifestLines, parseManifestLine } from './manifest.js';

export interface VerifyProblem {
  /** Relative path of the file concerned. */
  path: string;
  sha256: string;
  /** `tenant/id` of the blob concerned (none for an index entry). */
  ids: string[];
  expectedSize: number;
  actualSize?: number;
  actualSha256?: string;
}

export interface VerifyReport {
  dir: string;
  /** Manifest lines read (committed blobs). */
  blobs: number;
  /** Distinct content files hashed. */
  contentFiles: number;
  mismatches: VerifyProblem[];
  missing: VerifyProblem[];
  orphans: string[];
  badLines: number[];
  ok: boolean;
}

async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(createReadStream(path), async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      size += chunk.length;
      hash.update(chunk);
    }
    yield* [];
  });
  return { sha256: hash.digest('hex'), size };
}

/** Files under `root`, streamed directory by directory. */
async function* walkFiles(root: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  for (const e of entries) {
    const path = join(root, e.name);
    if (e.isDirectory()) yield* walkFiles(path);
    else if (e.isFile()) yield path;
  }
}

export async function verifyLocalStore(dir: string): Promise<VerifyReport> {
  const report: VerifyReport = {
    dir,
    blobs: 0,
    contentFiles: 0,
    mismatches: [],
    missing: [],
    orphans: [],
    badLines: [],
    ok: false,
  };
  const ids = new Set<string>();
  const hashed = new Map<string, { sha256: string; size: number }>(); // dev:ino → digest
  const contentOf = async (path: string) => {
    const st = await stat(path);
    const key = `${st.dev}:${st.ino}`;
    let digest = hashed.get(key);
    if (!digest) {
      digest = await hashFile(path);
      hashed.set(key, digest);
    }
    return { digest, nlink: st.nlink };
  };

  for await (const { lineNo, meta } of manifestLines(join(dir, MANIFEST_FILE))) {
    if (!meta) {
      report.badLines.push(lineNo);
      continue;
    }
    report.blobs++;
    ids.add(meta.id);
    const problem = { sha256: meta.sha256, ids: [`${meta.tenant}/${meta.id}`], expectedSize: meta.size };
    const recordPath = blobRecordPath(meta.tenant, meta.id);
    const recordText = await readFile(join(dir, recordPath), 'utf8').catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    });
    if (recordText === undefined) report.missing.push({ ...problem, path: recordPath });
    else {
      const record = parseManifestLine(recordText);
      if (!record || formatManifestLine(record) !== formatManifestLine(meta)) {
        report.mismatches.push({
          ...problem,
          path: recordPath,
          ...(record ? { actualSha256: record.sha256, actualSize: record.size } : {}),
        });
      }
    }
    const contentPath = blobContentPath(meta.tenant, meta.id);
    let digest;
    try {
      ({ digest } = await contentOf(join(dir, contentPath)));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      report.missing.push({ ...problem, path: contentPath });
      continue;
    }
    if (digest.sha256 !== meta.sha256 || digest.size !== meta.size) {
      report.mismatches.push({ ...problem, path: contentPath, actualSha256: digest.sha256, actualSize: digest.size });
    }
  }

  // Names under by-id/ without a manifest line.
  for await (const file of walkFiles(join(dir, BY_ID_DIR))) {
    if (!ids.has(basename(file).replace(/\.json$/, ''))) report.orphans.push(relative(dir, file));
  }
  // Index entries: content must match the name; an entry no blob holds is an orphan.
  for await (const file of walkFiles(join(dir, OBJECTS_DIR))) {
    const name = basename(file);
    const path = relative(dir, file);
    if (!/^[0-9a-f]{64}$/.test(name)) {
      report.orphans.push(path);
      continue;
    }
    const { digest, nlink } = await contentOf(file);
    if (digest.sha256 !== name)
      report.mismatches.push({
        path,
        sha256: name,
        ids: [],
        expectedSize: digest.size,
        actualSha256: digest.sha256,
        actualSize: digest.size,
      });
    if (nlink === 1) report.orphans.push(path);
  }
  report.contentFiles = hashed.size;
  report.orphans.sort();
  report.ok = report.mismatches.length === 0 && report.missing.length === 0 && report.badLines.length === 0;
  return report;
}

export function renderVerifyReport(r: VerifyReport): string {
  const lines = [`blobs verify: ${r.dir}: ${r.blobs} blobs, ${r.contentFiles} content files`];
  const blobsOf = (ids: string[]) => (ids.length ? `blobs: ${ids.join(', ')}` : 'dedup index entry');
  for (const m of r.mismatches) {
    lines.push(
      `MISMATCH ${m.path}: expected sha256 ${m.sha256} size ${m.expectedSize}, found sha256 ${m.actualSha256 ?? '?'} size ${m.actualSize ?? '?'} (${blobsOf(m.ids)})`,
    );
  }
  for (const m of r.missing) lines.push(`MISSING ${m.path} (${blobsOf(m.ids)})`);
  for (const n of r.badLines) lines.push(`BAD LINE ${MANIFEST_FILE}:${n}`);
  for (const o of r.orphans) lines.push(`ORPHAN ${o} (no manifest line; safe to delete)`);
  lines.push(
    r.ok
      ? `OK (${r.orphans.length} orphans)`
      : `FAILED: ${r.mismatches.length} mismatched, ${r.missing.length} missing, ${r.badLines.length} bad manifest lines, ${r.orphans.length} orphans`,
  );
  return lines.join('\n');
}

const USAGE = 'usage: conduit blobs verify [--dir DIR]   (default: CONDUIT_BLOB_LOCAL_DIR)';

/** CLI entry for `conduit blobs verify`; `args` are the words after `blobs`. Returns the exit code. */
export async function runBlobsVerify(args: string[], env: EnvSettings): Promise<number> {
  const rest = args[0] === 'verify' ? args.slice(1) : args;
  let dir: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--dir' && rest[i + 1] !== undefined) dir = rest[++i];
    else if (arg.startsWith('--dir=')) dir = arg.slice('--dir='.length);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else {
      process.stderr.write(`blobs verify: unexpected argument ${JSON.stringify(arg)}\n${USAGE}\n`);
      return 1;
    }
  }
  if (dir === undefined && env.CONDUIT_BLOB_BACKEND !== 'local') {
    process.stderr.write('blobs verify checks a local store; pass --dir DIR (CONDUIT_BLOB_BACKEND is not local)\n');
    return 1;
  }
  const target = dir ?? env.CONDUIT_BLOB_LOCAL_DIR;
  try {
    await stat(target);
  } catch {
    process.stderr.write(`blobs verify: no blob store at ${target}\n`);
    return 1;
  }
  const layout = await readFile(join(target, LAYOUT_FILE), 'utf8').catch(() => undefined);
  if (
    layout === undefined &&
    (await stat(join(target, MANIFEST_FILE)).then(
      () => true,
      () => false,
    ))
  ) {
    process.stderr.write(
      `blobs verify: ${target} has layout 1 (no per-blob records yet); start the gateway on it once to migrate it\n`,
    );
    return 1;
  }
  const report = await verifyLocalStore(target);
  process.stdout.write(`${renderVerifyReport(report)}\n`);
  return report.ok ? 0 : 1;
}
