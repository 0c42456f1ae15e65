// `conduit blobs verify [--dir D]`: re-hash every content file of a local store against
// the manifest. Reports mismatches (content whose sha256 or size differs from the
// manifest), missing content, unreadable manifest lines (all of which fail: exit 1) and
// orphans (content files no manifest line refers to, e.g. after a crash between the
// rename and the manifest append; harmless, reported, exit stays 0).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { EnvSettings } from '../config/env.js';
import { objectPath, OBJECTS_DIR } from './local.js';
import { MANIFEST_FILE, readManifest } from './manifest.js';

export interface VerifyProblem {
  path: string;
  sha256: string;
  ids: string[];
  expectedSize: number;
  actualSize?: number;
  actualSha256?: string;
}

export interface VerifyReport {
  dir: string;
  blobs: number;
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

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true, recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const e of entries) if (e.isFile()) out.push(join(e.parentPath ?? e.path, e.name));
  return out;
}

export async function verifyLocalStore(dir: string): Promise<VerifyReport> {
  const { entries, badLines } = await readManifest(join(dir, MANIFEST_FILE));
  const bySha = new Map<string, { size: number; ids: string[] }>();
  for (const e of entries) {
    const group = bySha.get(e.sha256) ?? { size: e.size, ids: [] };
    group.ids.push(`${e.tenant}/${e.id}`);
    bySha.set(e.sha256, group);
  }
  const mismatches: VerifyProblem[] = [];
  const missing: VerifyProblem[] = [];
  for (const [sha256, { size, ids }] of bySha) {
    const rel = objectPath(sha256);
    const problem: VerifyProblem = { path: rel, sha256, ids, expectedSize: size };
    try {
      await stat(join(dir, rel));
    } catch {
      missing.push(problem);
      continue;
    }
    const actual = await hashFile(join(dir, rel));
    if (actual.sha256 !== sha256 || actual.size !== size) {
      mismatches.push({ ...problem, actualSha256: actual.sha256, actualSize: actual.size });
    }
  }
  const files = (await listFiles(join(dir, OBJECTS_DIR))).map((f) => relative(dir, f));
  const known = new Set([...bySha.keys()].map(objectPath));
  const orphans = files.filter((f) => !known.has(f)).sort();
  return {
    dir,
    blobs: entries.length,
    contentFiles: files.length,
    mismatches,
    missing,
    orphans,
    badLines,
    ok: mismatches.length === 0 && missing.length === 0 && badLines.length === 0,
  };
}

export function renderVerifyReport(r: VerifyReport): string {
  const lines = [`blobs verify: ${r.dir}: ${r.blobs} blobs, ${r.contentFiles} content files`];
  for (const m of r.mismatches) {
    lines.push(
      `MISMATCH ${m.path}: expected sha256 ${m.sha256} size ${m.expectedSize}, found sha256 ${m.actualSha256} size ${m.actualSize} (blobs: ${m.ids.join(', ')})`,
    );
  }
  for (const m of r.missing) lines.push(`MISSING ${m.path} (blobs: ${m.ids.join(', ')})`);
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
  const report = await verifyLocalStore(target);
  process.stdout.write(`${renderVerifyReport(report)}\n`);
  return report.ok ? 0 : 1;
}
