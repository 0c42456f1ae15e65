// Process checks for tests that start children (or whose code under test does).

/** Is a process with this pid still running (signal 0 reaches it)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
