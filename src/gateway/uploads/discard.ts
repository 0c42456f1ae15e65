// discardRest: after an early rejection (415, 413, 503, a malformed part) the client may
// still be sending the body. Replying and closing with the body unread makes the kernel
// send a reset, and many clients then lose the response. So the rest of the body is read
// and thrown away, bounded in bytes and time; past either bound the socket is destroyed
// (by then the client has normally read the response, which goes out meanwhile).
import type { IncomingMessage } from 'node:http';

export interface DiscardBounds {
  /** Most bytes to read and drop. */
  maxBytes: number;
  /** Longest time to keep reading, in ms. */
  maxMs: number;
}

export const DEFAULT_DISCARD: DiscardBounds = { maxBytes: 64 * 1024 * 1024, maxMs: 10_000 };

export function discardRest(req: IncomingMessage, bounds: DiscardBounds = DEFAULT_DISCARD): void {
  if (req.readableEnded || req.destroyed) return;
  let seen = 0;
  const stop = () => {
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', stop);
    req.off('close', stop);
  };
  const giveUp = () => {
    stop();
    req.socket?.destroy();
  };
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > bounds.maxBytes) giveUp();
  };
  const timer = setTimeout(giveUp, bounds.maxMs);
  timer.unref();
  req.on('data', onData);
  req.once('end', stop);
  req.once('close', stop);
  req.resume();
}
