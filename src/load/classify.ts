// Error classification: one stable type name per failure so reports can count them.
// Transport failures keep their errno name; timeouts of every kind become TIMEOUT;
// HTTP answers are counted per status class; WebSocket closes per close code.

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ABORT_ERR',
]);
const KEEP_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EADDRNOTAVAIL']);

/** Error type of a thrown error: ECONNREFUSED, ECONNRESET, EPIPE, TIMEOUT, SOCKET_CLOSED, … */
export function classifyError(error: unknown): string {
  const err = error as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown } | null;
  if (err && typeof err === 'object') {
    const code = typeof err.code === 'string' ? err.code : undefined;
    const name = typeof err.name === 'string' ? err.name : undefined;
    if (code && KEEP_CODES.has(code)) return code;
    if ((code && TIMEOUT_CODES.has(code)) || name === 'TimeoutError' || name === 'AbortError') return 'TIMEOUT';
    if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') {
      // undici wraps the socket's own error in `cause` when it has one.
      return err.cause ? classifyError(err.cause) : 'SOCKET_CLOSED';
    }
    // AggregateError from happy-eyeballs connects (ECONNREFUSED on ::1 and 127.0.0.1).
    if (Array.isArray(err.errors) && err.errors.length > 0) return classifyError(err.errors[0]);
    if (err.cause) return classifyError(err.cause);
    if (code) return code;
    if (name && name !== 'Error') return name;
  }
  return 'UNKNOWN';
}

/** HTTP_4XX / HTTP_5XX (and HTTP_1XX/3XX if ever unexpected). */
export function classifyStatus(status: number): string {
  return `HTTP_${Math.floor(status / 100)}XX`;
}

/** WS_CLOSE_1008 etc. */
export function classifyClose(code: number): string {
  return `WS_CLOSE_${code}`;
}
