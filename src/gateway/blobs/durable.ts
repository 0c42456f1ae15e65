// Small durable-file helpers for the local store.
import { open, rename, unlink } from 'node:fs/promises';

/** Write `text` to `tmp` (new file), fsync it, then rename it to `target` (atomic replace). */
export async function writeFileAtomic(tmp: string, target: string, text: string): Promise<void> {
  const handle = await open(tmp, 'wx', 0o644);
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** fsync a directory, so the names created or renamed in it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** unlink, treating a missing file as done. */
export async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export function isErrno(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}
