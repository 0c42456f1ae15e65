// Early answers and unread bodies. When the gateway answers before reading a request's
// body (401 from auth, 429, 413 on Content-Length, 503 while draining), closing the
// connection with bytes still arriving makes the kernel send a reset, and many clients
// then lose the response they were sent. So before an error response goes out, the
// rest of the body is read and thrown away — bounded in bytes and time; past either
// bound the response is sent anyway with `Connection: close`.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const DISCARD_MAX_BYTES = 128 * 1024 * 1024;
export const DISCARD_MAX_MS = 10_000;

/** Read and drop the rest of `raw`; resolves true when it ended, false at a bound. */
export function discardBody(
  raw: IncomingMessage,
  maxBytes = DISCARD_MAX_BYTES,
  maxMs = DISCARD_MAX_MS,
): Promise<boolean> {
  if (raw.complete && raw.readableEnded) return Promise.resolve(true);
  if (raw.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onFail);
      raw.off('close', onFail);
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onFail = () => finish(raw.complete);
    const timer = setTimeout(() => finish(false), maxMs);
    raw.on('data', onData);
    raw.once('end', onEnd);
    raw.once('error', onFail);
    raw.once('close', onFail);
    raw.resume();
  });
}

export function installBodyDiscard(app: FastifyInstance): void {
  app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload, done) => {
    const raw = request.raw;
    if (reply.statusCode < 400 || request.headers.upgrade !== undefined || raw.complete) return done(null, payload);
    void discardBody(raw).then((ended) => {
      if (!ended) reply.header('connection', 'close');
      done(null, payload);
    });
  });
}
