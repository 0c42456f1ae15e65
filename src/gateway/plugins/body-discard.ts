// Early answers and unread bodies. When the gateway answers before reading a request's
// body (401 from auth, 429, 413 on Content-Length, 503 while draining), closing the
// connection with bytes still arriving makes the kernel send a reset, and many clients
// then lose the response they were sent. Two ways out, both bounded in bytes and time:
//   - a small body (declared up to DISCARD_FIRST_MAX_BYTES), or one already being read:
//     the rest is read and thrown away first, then the answer goes out and the
//     connection stays usable; past a bound the answer is sent anyway with
//     `Connection: close`.
//   - 413 PAYLOAD_TOO_LARGE, and any early answer to a larger or chunked body not read
//     at all (issue 12 case 6: a declared 100 MB body waited out the 10 s bound): the
//     client may never send that much, or wait for the answer first, so it is answered
//     at once with `Connection: close`, then the connection closes the way nginx's
//     lingering close does: our side ends, and what the client still sends is read and
//     dropped until its body ends, it closes, or DISCARD_MAX_MS passed.
// The HTTP log's bytesIn is what was read of the body (bodyBytesRead), not what the
// request declared.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const DISCARD_MAX_BYTES = 128 * 1024 * 1024;
export const DISCARD_MAX_MS = 10_000;
/** Early answers wait for a body declared up to this size; larger ones are answered at once. */
export const DISCARD_FIRST_MAX_BYTES = 64 * 1024;

/** Body bytes the discard read from a request (set by discardBody). */
const DISCARDED = Symbol('conduit.discarded');

type CountedRequest = IncomingMessage & { [DISCARDED]?: number };

/** Read and drop the rest of `raw`; resolves true when it ended, false at a bound. */
export function discardBody(
  raw: IncomingMessage,
  maxBytes = DISCARD_MAX_BYTES,
  maxMs = DISCARD_MAX_MS,
): Promise<boolean> {
  if (raw.complete && raw.readableEnded) return Promise.resolve(true);
  if (raw.destroyed) return Promise.resolve(false);
  const counted = raw as CountedRequest;
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
      counted[DISCARDED] = seen;
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

/**
 * Body bytes read: the declared length once the body arrived in full, else what the
 * discard read of it (0 for an answer given before any of the body was read).
 */
export function bodyBytesRead(raw: IncomingMessage, declared: number | undefined): number {
  if (raw.complete) return declared ?? 0;
  return (raw as CountedRequest)[DISCARDED] ?? 0;
}

/**
 * Close `socket` after its last answer without resetting a client still sending. Node
 * ends a `Connection: close` answer's socket with destroySoon() (end, then destroy once
 * flushed: unread bytes then make the kernel reset the connection); this socket's
 * destroySoon ends our side and destroys only when the body ended, the client closed,
 * or DISCARD_MAX_MS passed. Node drops the rest of an unread body itself (it dumps the
 * request once its answer finished).
 */
function lingerOnClose(raw: IncomingMessage, socket: Socket, maxMs = DISCARD_MAX_MS): void {
  socket.destroySoon = () => {
    socket.end();
    // Node drops an unread body itself; one a parser stopped reading is drained here.
    if (raw.readableDidRead) raw.resume();
    // Once the body ended or the client closed: destroy when our answer is flushed (as
    // Node's destroySoon does); past the bound, destroy whatever is left.
    const timer = setTimeout(() => socket.destroy(), maxMs);
    timer.unref();
    const destroy = () => {
      clearTimeout(timer);
      if (socket.writableFinished) socket.destroy();
      else socket.once('finish', () => socket.destroy());
    };
    if (raw.complete) return destroy();
    raw.once('end', destroy);
    socket.once('end', destroy);
    socket.once('close', () => clearTimeout(timer));
  };
}

/** Answer now (and linger on close) instead of reading the rest of the body first? */
function answersAtOnce(request: FastifyRequest): boolean {
  if (request.errorCode === 'PAYLOAD_TOO_LARGE') return true;
  if (request.raw.readableDidRead) return false;
  const { headers } = request;
  // Chunked: no length known, so no bound on what waiting would cost.
  if (headers['transfer-encoding'] !== undefined) return true;
  return Number(headers['content-length']) > DISCARD_FIRST_MAX_BYTES;
}

export function installBodyDiscard(app: FastifyInstance): void {
  app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload, done) => {
    const raw = request.raw;
    if (reply.statusCode < 400 || request.headers.upgrade !== undefined || raw.complete) return done(null, payload);
    if (answersAtOnce(request)) {
      reply.header('connection', 'close');
      lingerOnClose(raw, raw.socket);
      return done(null, payload);
    }
    void discardBody(raw).then((ended) => {
      if (!ended) reply.header('connection', 'close');
      done(null, payload);
    });
  });
}
