// The one error renderer: every error a route, hook or Fastify itself raises leaves as
// `{"error": {"code", "message"}}` with a catalogue code and its status (plus
// Retry-After for 429/503 when known). Unknown errors are logged and become INTERNAL.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
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
      const message = mapped === 'INVALID_JSON' ? 'The body is not valid JSON' : (e.message ?? ERRORS[mapped].description);
      return new GatewayError(mapped, message, { cause: err });
    }
    // A JSON.parse failure surfaced by a parser, with a 400 status.
    if ((e as object) instanceof SyntaxError && e.statusCode === 400) return new GatewayError('INVALID_JSON', 'The body is not valid JSON', { cause: err });
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

/** Install the error and not-found handlers on one Fastify instance. */
export function installErrorHandlers(app: FastifyInstance, ctx: GatewayContext): void {
  app.decorateRequest('errorCode', undefined);
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const gerr = toGatewayError(error);
    if (gerr.code === 'INTERNAL') {
      ctx.logs.app.error({ err: error, reqId: request.id, route: request.routeOptions.url }, 'request failed');
    }
    return sendGatewayError(reply, gerr);
  });
  app.setNotFoundHandler((request, reply) => {
    return sendGatewayError(reply, new GatewayError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`));
  });
}
