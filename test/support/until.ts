// The one way tests wait for something that happens asynchronously elsewhere (a log line
// written, a counter reaching a value, a process gone): poll a check until it gives a
// truthy value, and fail with a message naming what was awaited if it never does.
// Event-driven waits that have the events at hand (a WebSocket client's frames, a
// recording sink's deliveries) are better than polling and stay with their owners.

/** What a check returns once it is satisfied (its falsy values mean "not yet"). */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Call `check` now and every `everyMs` until it returns a truthy value, and resolve with
 * that value. Rejects after `timeoutMs` naming `what` (a function is called only then,
 * so the message can carry the state at the time of failure). A check that throws
 * rejects at once.
 */
export async function until<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what: string | (() => string) = 'a condition',
  everyMs = 25,
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
