// write: puts rendered reports on disk. Every write is guarded: a failure WARNS and the
// run goes on — a report that cannot be written must never turn a load run into a crash.

import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type Warn = (message: string) => void;

/** Writes `dir/name`; returns the path, or undefined after warning. */
export async function writeReportFile(
  dir: string,
  name: string,
  content: string,
  warn: Warn,
): Promise<string | undefined> {
  const path = join(dir, name);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content, 'utf8');
    return path;
  } catch (error) {
    warn(`could not write ${path}: ${(error as Error).message}`);
    return undefined;
  }
}

/** Appends to a file (the GitHub step summary), warning on failure. */
export async function appendToFile(path: string, content: string, warn: Warn): Promise<boolean> {
  try {
    await appendFile(path, content.endsWith('\n') ? content : `${content}\n`, 'utf8');
    return true;
  } catch (error) {
    warn(`could not append to ${path}: ${(error as Error).message}`);
    return false;
  }
}
