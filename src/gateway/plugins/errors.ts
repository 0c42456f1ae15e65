// The one error renderer: every error a route, hook or Fastify itself raises leaves as
// `{"error": {"code", "message"}}` with a catalogue code and its status (plus
// Retry-After for 429/503 when known). Unknown errors are logged and become INTERNAL.
// Three more paths lead there: Fastify's errors before routing (`frameworkErrors`: a
// malformed URL, an over-long path parameter), the HTTP server's own refusals before
// there is a request (`clientErrorHandler`: malformed HTTP, headers too large or too
// slow), and a route that answers an error status with no body (the WebSocket route
// answers a plain GET with a bare 404): the onSend hook fills in the shape.
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ERRORS, GatewayError, isGatewayError, type ErrorCode } from '../errors.js';
import type { GatewayContext } from '../context.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The catalogue code of the error this request answered with (HTTP log). */
    errorCode: string | undefined;
  }
}

/** Fastify's and its plugins' own error codes, mapped to the catalogue. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_NOT_FOUND: 'NOT_FOUND',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'BAD_REQUEST',
  // @fastify/multipart, should a route let one through unmapped
  FST_REQ_FILE_TOO_LARGE: 'UPLOAD_TOO_LARGE',
  FST_PARTS_LIMIT: 'TOO_MANY_PARTS',
  FST_FILES_LIMIT: 'TOO_MANY_PARTS',
  FST_FIELDS_LIMIT: 'TOO_MANY_FIELDS',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_PROTO_VIOLATION: 'BAD_REQUEST',
};

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  503: 'OVERLOADED',
};

/** Turn anything thrown into a GatewayError (pure; exported for tests). */
export function toGatewayError(err: unknown): GatewayError {
  if (isGatewayError(err)) return err;
  const e = err as Partial<FastifyError> & { validation?: unknown };
  if (e && typeof e === 'object') {
    if (e.validation) return new GatewayError('VALIDATION_FAILED', e.message);
    const mapped = e.code ? FASTIFY_CODES[e.code] : undefined;
    if (mapped) {
      const message =
        mapped === 'INVALID_JSON' ? 'The body is not valid JSON' : (e.message ?? ERRORS[mapped].description);
      return new GatewayError(mapped, message, { cause: err });
    }
    // A JSON.parse failure surfaced by a parser, with a 400 status.
    if ((e as object) instanceof SyntaxError && e.statusCode === 400)
      return new GatewayError('INVALID_JSON', 'The body is not valid JSON', { cause: err });
    const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
    const byStatus = BY_STATUS[status];
    if (byStatus && status < 500) return new GatewayError(byStatus, e.message || undefined, { cause: err });
    if (byStatus) return new GatewayError(byStatus, undefined, { cause: err });
  }
  return new GatewayError('INTERNAL', undefined, { cause: err });
}

export function sendGatewayError(reply: FastifyReply, err: GatewayError): FastifyReply {
  reply.request.errorCode = err.code;
  if (err.retryAfterS !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterS))));
  return reply.code(err.status).type('application/json; charset=utf-8').send(err.toBody());
}

/** The catalogue error for an error status answered without a body (no error was thrown). */
export function errorForBareStatus(status: number, method: string, path: string): GatewayError {
  if (status === 404) return new GatewayError('NOT_FOUND', `No route ${method} ${path}`);
  const code = BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
  return new GatewayError(code);
}

/** The error a Node HTTP server 'clientError' stands for (malformed request, headers too large or too slow). */
export function clientErrorToGatewayError(err: NodeJS.ErrnoException): GatewayError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new GatewayError('REQUEST_TIMEOUT');
  if (err.code === 'HPE_HEADER_OVERFLOW') return new GatewayError('HEADERS_TOO_LARGE');
  return new GatewayError('BAD_REQUEST', 'The request is not valid HTTP');
}

/** Set on a socket whose parse error is being answered (Node may report the same error again). */
const REFUSING = Symbol('conduit.refusing');

type HttpSocket = Duplex & { _httpMessage?: ServerResponse | null; [REFUSING]?: true };

/**
 * Run `then` once every answer in progress on `socket` to a request that was read in full
 * has been handed to it. Requests pipelined before the malformed one were parsed and are
 * being answered: their answers go first, in order (Node queues them and attaches the
 * next one to the socket when the current one finishes; `_httpMessage` is Node's field
 * for the attached one, as in the stall guard). A request whose own body was cut short
 * or malformed (it is not complete) waits for nothing: its handler may be waiting for
 * the rest, so the refusal goes now and the socket closes under it. `then` does not run
 * if the socket closes first.
 */
function afterAnswersInProgress(socket: HttpSocket, then: () => void): void {
  const res = socket._httpMessage;
  if (!res?.req.complete) {
    then();
    return;
  }
  let settled = false;
  const next = () => {
    if (settled) return;
    settled = true;
    if (!socket.destroyed) afterAnswersInProgress(socket, then);
  };
  // Node's own 'finish' listener (attached first) has detached `res` and attached the next answer by now.
  res.once('finish', next);
  res.once('close', next);
}

function writeRefusal(socket: HttpSocket, gerr: GatewayError): void {
  if (socket.destroyed) return;
  if (!socket.writable) {
    // An answer before ours closed the connection (it said `Connection: close`): Node
    // ends the socket once that answer is flushed; destroying it now could cut it.
    if (!socket.writableEnded) socket.destroy();
    return;
  }
  socket.end(rawErrorAnswer(gerr));
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** A whole HTTP/1.1 answer in the error shape, `Connection: close`: for a socket no ServerResponse owns. */
export function rawErrorAnswer(gerr: GatewayError): string {
  const body = JSON.stringify(gerr.toBody());
  return (
    `HTTP/1.1 ${gerr.status} ${STATUS_CODES[gerr.status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** Answer a request Fastify does not own (Node's server events, the stall guard) in the error shape, `Connection: close`. */
export function endWithError(res: ServerResponse, gerr: GatewayError): void {
  const body = JSON.stringify(gerr.toBody());
  res.shouldKeepAlive = false;
  res.writeHead(gerr.status, STATUS_CODES[gerr.status] ?? '', {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

/**
 * Fastify's `clientErrorHandler`: answer in the error shape and close the connection
 * (the parser cannot go on) — after the answers of requests pipelined before the bad
 * bytes (issue 12, case 2: a valid enqueue followed by garbage in one write must get its
 * 200 first, or the client retries a message that was enqueued). Nothing was routed, so
 * there is no HTTP log line; the app log gets one at debug level.
 */
export function makeClientErrorHandler(log: Logger): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return (err, duplex) => {
    const socket = duplex as HttpSocket;
    // A reset peer has nobody left to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed || socket[REFUSING]) return;
    socket[REFUSING] = true;
    const gerr = clientErrorToGatewayError(err);
    log.debug({ event: 'http.client-error', code: gerr.code, cause: err.code }, 'refused a malformed request');
    afterAnswersInProgress(socket, () => writeRefusal(socket, gerr));
  };
}

/** Install the error and not-found handlers on one Fastify instance. */
export function installErrorHandlers(app: FastifyInstance, ctx: GatewayContext): void {
  app.decorateRequest('errorCode', undefined);
  // An error status with no body (a plugin's bare `reply.code(404).send()`): give it the shape.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode < 400 || request.errorCode !== undefined) return done(null, payload);
    if (payload !== undefined && payload !== null && payload !== '') return done(null, payload);
    const gerr = errorForBareStatus(reply.statusCode, request.method, request.url.split('?')[0]!);
    request.errorCode = gerr.code;
    reply.type('application/json; charset=utf-8');
    done(null, JSON.stringify(gerr.toBody()));
  });
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const gerr = toGatewayError(error);
    if (gerr.code === 'INTERNAL') {
      ctx.logs.app.error({ err: error, reqId: request.id, route: request.routeOptions.url }, 'request failed');
    }
    return sendGatewayError(reply, gerr);
  });
  app.setNotFoundHandler((request, reply) => {
    return sendGatewayError(
      reply,
      new GatewayError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`),
    );
  });
}
