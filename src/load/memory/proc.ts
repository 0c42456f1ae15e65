// Reading a process's resident set size from /proc/PID/status (Linux).
import { readFile } from 'node:fs/promises';

/** VmRSS of `pid` in bytes, or undefined when /proc is unavailable or the process is gone. */
export async function readProcRss(pid: number): Promise<number | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
