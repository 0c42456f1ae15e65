// One request/response exchange as the connection pool carries it, and the errors the
// client raises. Error codes and names are chosen so classifyError() types them:
// socket errors keep their errno code (ECONNREFUSED, ECONNRESET), timeouts are named
// TimeoutError (→ TIMEOUT), a close before the response is SOCKET_CLOSED.

/** What a streamed body may be: a Readable, a generator, an array of chunks. */
export type BodyChunks = Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** Called exactly once per exchange: an error, or the status, the kept body and the body's byte count. */
export type ExchangeDone = (
  error: Error | undefined,
  status: number,
  body: Buffer | undefined,
  bodyBytes: number,
) => void;

export interface Exchange {
  /** The head (and, for small bodies, the body appended to it). */
  head: string | Buffer;
  /** Body bytes written after the head, or undefined. */
  body: Uint8Array | BodyChunks | undefined;
  /** Declared length of a streamed body; -1 = chunked framing. */
  bodyLength: number;
  /** Bytes of a streamed body written so far (an early answer stops the body short). */
  bodyWritten: number;
  /** HEAD request: the answer has no body. */
  isHead: boolean;
  /** Keep a JSON answer's body for the caller. */
  keepJson: boolean;
  /** Safe to send again on a fresh connection when a reused one closed before answering. */
  replayable: boolean;
  signal: AbortSignal | undefined;
  done: ExchangeDone;
  /** Internal: settled already; sent again once; the pool's watch on `signal`. */
  settled: boolean;
  retried: boolean;
  watch: { leave(): void } | undefined;
}

export function settle(ex: Exchange, error: Error | undefined, status = 0, body?: Buffer, bodyBytes = 0): void {
  if (ex.settled) return;
  ex.settled = true;
  if (ex.watch) {
    ex.watch.leave();
    ex.watch = undefined;
  }
  ex.done(error, status, body, bodyBytes);
}

function coded(message: string, code: string, name = 'Error'): Error {
  const error = new Error(message) as Error & { code: string };
  error.code = code;
  error.name = name;
  return error;
}

export const socketClosedError = () => coded('the connection closed before the response was complete', 'SOCKET_CLOSED');
export const headersTimeoutError = (ms: number) =>
  coded(`no response head within ${ms} ms`, 'HEADERS_TIMEOUT', 'TimeoutError');
export const bodyTimeoutError = (ms: number) =>
  coded(`no body progress within ${ms} ms`, 'BODY_TIMEOUT', 'TimeoutError');
export const closedClientError = () => coded('the HTTP client is closed', 'CLIENT_CLOSED');
export const destroyedClientError = () => coded('the HTTP client was destroyed', 'CLIENT_DESTROYED');
export const lengthMismatchError = (declared: number, sent: number) =>
  coded(`the body had ${sent} bytes, ${declared} were declared`, 'CONTENT_LENGTH_MISMATCH');

export function abortError(signal: AbortSignal): Error {
  const error = coded('request aborted', 'ABORT_ERR', 'AbortError');
  (error as Error & { cause?: unknown }).cause = signal.reason;
  return error;
}
