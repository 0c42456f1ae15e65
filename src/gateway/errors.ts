// The gateway's one error catalogue. Every error a client can see has a stable
// UPPER_SNAKE code, an HTTP status and (where it can end a WebSocket) a close code.
// Routes and plugins throw `GatewayError`s made here; the error handler renders the
// one HTTP shape `{"error": {"code", "message"}}`, and the WebSocket layer sends the
// same shape as a frame before closing with `closeCode`.

export interface ErrorSpec {
  /** HTTP status for the error. */
  readonly status: number;
  /** WebSocket close code when the error ends a connection (undefined: the connection stays open). */
  readonly closeCode?: number;
  /** Human description, used in docs and as the default message. */
  readonly description: string;
}

export const ERRORS = {
  // 400
  BAD_REQUEST: { status: 400, description: 'The request is malformed.' },
  INVALID_JSON: { status: 400, closeCode: 1007, description: 'The body or frame is not valid JSON.' },
  VALIDATION_FAILED: { status: 400, description: 'The body or query does not match the schema.' },
  ENVELOPE_TOO_DEEP: { status: 400, description: 'The envelope nests deeper than CONDUIT_ENVELOPE_MAX_DEPTH levels.' },
  INVALID_STREAM_NAME: {
    status: 400,
    description: 'Stream names are 1–200 characters of letters, digits and . _ - / :',
  },
  INVALID_HANDSHAKE: {
    status: 400,
    description:
      'The WebSocket upgrade is invalid: it needs Upgrade: websocket, a Sec-WebSocket-Key of 16 base64 bytes and Sec-WebSocket-Version 13.',
  },
  MALFORMED_MULTIPART: { status: 400, description: 'The multipart body is malformed or truncated.' },
  CONFIG_INVALID: { status: 400, description: 'The configuration file is invalid; the old one stays in force.' },
  // 401 / 403
  UNAUTHORIZED: { status: 401, closeCode: 1008, description: 'A valid token is required.' },
  FORBIDDEN: { status: 403, closeCode: 1008, description: 'The token may not access this resource.' },
  // 404
  NOT_FOUND: { status: 404, description: 'No such route or resource.' },
  BLOB_NOT_FOUND: { status: 404, description: 'No blob with that id for this tenant.' },
  // 408 / 431: the HTTP server's own refusals
  REQUEST_TIMEOUT: {
    status: 408,
    description:
      'The request stalled: its headers did not arrive in time, or no byte moved for CONDUIT_HTTP_IDLE_TIMEOUT_MS.',
  },
  HEADERS_TOO_LARGE: { status: 431, description: 'The request headers are too large.' },
  // 417
  EXPECTATION_FAILED: { status: 417, description: 'The Expect header names an expectation other than 100-continue.' },
  // 413 / 415
  PAYLOAD_TOO_LARGE: { status: 413, closeCode: 1009, description: 'The body or frame exceeds the size limit.' },
  UPLOAD_TOO_LARGE: { status: 413, description: 'An uploaded part exceeds the part size limit.' },
  TOO_MANY_PARTS: { status: 413, description: 'The multipart body has too many parts.' },
  TOO_MANY_FIELDS: { status: 413, description: 'The multipart body has too many fields.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The content type is not accepted by this route.' },
  UNSUPPORTED_ENCODING: {
    status: 415,
    description:
      'The body has a Content-Encoding other than identity, or a Transfer-Encoding other than chunked; the gateway decodes none: send it uncompressed.',
  },
  // 429
  RATE_LIMITED: { status: 429, closeCode: 1008, description: 'Too many requests; retry after the given delay.' },
  // 503
  STREAM_FULL: { status: 503, description: 'The stream is at its maxDepth; retry later.' },
  OVERLOADED: { status: 503, description: 'The gateway is shedding load; retry later.' },
  UPLOAD_CAPACITY: { status: 503, description: 'Too many concurrent uploads; retry later.' },
  DRAINING: { status: 503, closeCode: 1001, description: 'The gateway is draining for shutdown.' },
  BACKEND_UNAVAILABLE: { status: 503, description: 'The streams backend (Redis) is unreachable; retry later.' },
  // WebSocket protocol
  UNKNOWN_OP: { status: 400, closeCode: 1003, description: 'The frame has no known operation.' },
  INVALID_CREDIT: { status: 400, description: 'Credit must be an integer from 1 to the maximum credit.' },
  UNKNOWN_DELIVERY: { status: 400, description: 'No unsettled delivery with that id on this connection.' },
  CONNECTION_LIMIT: { status: 429, closeCode: 1008, description: "The tenant's WebSocket connection cap is reached." },
  FRAME_TOO_LARGE: { status: 413, closeCode: 1009, description: 'The frame exceeds CONDUIT_WS_MAX_MESSAGE_SIZE.' },
  // 500
  INTERNAL: { status: 500, closeCode: 1011, description: 'An internal error; the gateway logged it.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly closeCode: number | undefined;
  /** Seconds for a Retry-After header (429/503). */
  readonly retryAfterS: number | undefined;
  readonly details: unknown;

  constructor(
    code: ErrorCode,
    message?: string,
    opts: { retryAfterS?: number; details?: unknown; cause?: unknown } = {},
  ) {
    const spec: ErrorSpec = ERRORS[code];
    super(message ?? spec.description, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = spec.status;
    this.closeCode = spec.closeCode;
    this.retryAfterS = opts.retryAfterS;
    this.details = opts.details;
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

export function gatewayError(
  code: ErrorCode,
  message?: string,
  opts?: { retryAfterS?: number; details?: unknown; cause?: unknown },
): GatewayError {
  return new GatewayError(code, message, opts);
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}
