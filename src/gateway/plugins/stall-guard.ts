// No socket held forever by a request that stopped moving. Node's HTTP server cuts a
// request whose headers are slow (headersTimeout, 408), but once the headers are in, a
// body that stops arriving — `Content-Length: 100`, 20 bytes, then silence — or a client
// that stops reading the answer held the socket for good (Fastify's request and
// connection timeouts default to 0, and a whole-request deadline would cut long uploads).
//
// The rule is an idle timeout, as nginx's client_body_timeout / send_timeout: while a
// request is in progress, CONDUIT_HTTP_IDLE_TIMEOUT_MS without a byte in either direction
// ends it. Not yet answered: 408 REQUEST_TIMEOUT in the error shape, `Connection: close`,
// then the socket closes. Answer under way (the client stopped reading): the socket is
// destroyed. Between keep-alive requests the keep-alive timeout applies instead, and a
// WebSocket (after its upgrade) is not affected (Node detaches the request timeout from
// upgraded sockets; the WebSocket layer pings).
//
// Node arms the timer itself (`server.timeout`, Fastify's `connectionTimeout`) and emits
// 'timeout' on the server for the socket; the request and answer in progress are the
// socket's `_httpMessage` (Node's own field for it since 0.x; no public accessor exists).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError } from '../errors.js';
import { endWithError } from './errors.js';

/** Set on a request the stall guard answered 408: its log line says 408 REQUEST_TIMEOUT, not 499. */
export const TIMED_OUT = Symbol('conduit.timedOut');

type TimedRequest = IncomingMessage & { [TIMED_OUT]?: true };

/** How long an answered socket may take to flush the 408 before it is destroyed. */
const FLUSH_MS = 1000;

export function installStallGuard(server: Server, idleTimeoutMs: number): void {
  if (idleTimeoutMs <= 0) return;
  server.on('timeout', (socket: Socket) => {
    const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (!res || res.headersSent || res.writableEnded) {
      socket.destroy();
      return;
    }
    (res.req as TimedRequest)[TIMED_OUT] = true;
    const gerr = new GatewayError(
      'REQUEST_TIMEOUT',
      `No bytes for ${idleTimeoutMs} ms while the request was in progress (CONDUIT_HTTP_IDLE_TIMEOUT_MS)`,
    );
    endWithError(res, gerr);
    const destroy = () => socket.destroy();
    res.once('finish', destroy);
    setTimeout(destroy, FLUSH_MS).unref();
  });
}

/** Did the stall guard answer this request 408? */
export function timedOut(req: IncomingMessage): boolean {
  return (req as TimedRequest)[TIMED_OUT] === true;
}
