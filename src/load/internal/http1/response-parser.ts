// Incremental HTTP/1.1 response parser for the load generator's client. It reads what
// a measurement needs straight from the bytes — status, framing, keep-alive, whether
// the body is JSON — without building a headers object, and keeps the body only when
// the caller will parse it: every allocation per response is load the generator does
// not send.
//
// It never keeps a reference to the bytes it is given (the connection reads every socket
// into one reused buffer): a partial head and a kept body are copied.
//
// Framing follows RFC 9112 §6.3: 1xx heads are skipped (101 is refused: no upgrades);
// answers to HEAD, 204 and 304 have no body; Transfer-Encoding ending in `chunked`
// wins over Content-Length; then Content-Length; otherwise the body runs to the close
// of the connection. Malformed input throws HttpParseError (code HTTP_PARSE_ERROR).

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;
const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_SIZE_DIGITS = 12; // 2^48: far beyond any body a generator reads

const NAME_CONTENT_LENGTH = Buffer.from('content-length');
const NAME_TRANSFER_ENCODING = Buffer.from('transfer-encoding');
const NAME_CONNECTION = Buffer.from('connection');
const NAME_KEEP_ALIVE = Buffer.from('keep-alive');
const NAME_CONTENT_TYPE = Buffer.from('content-type');
const WORD_CLOSE = Buffer.from('close');
const WORD_CHUNKED = Buffer.from('chunked');
const WORD_JSON = Buffer.from('json');
const WORD_TIMEOUT = Buffer.from('timeout=');

// Parser states.
const HEAD = 0;
const LENGTH = 1;
const UNTIL_CLOSE = 2;
const CHUNK_SIZE = 3;
const CHUNK_DATA = 4;
const CHUNK_DATA_END = 5;
const TRAILERS = 6;
const DONE = 7;

export class HttpParseError extends Error {
  readonly code = 'HTTP_PARSE_ERROR';
  constructor(message: string) {
    super(`malformed HTTP response: ${message}`);
    this.name = 'HttpParseError';
  }
}

/** ASCII case-insensitive: does buf[at, at + word.length) equal the lower-case `word`? */
function equalsLower(buf: Buffer, at: number, word: Buffer): boolean {
  for (let i = 0; i < word.length; i++) {
    if ((buf[at + i] | 0x20) !== word[i]) return false;
  }
  return true;
}

/** Does buf[from, to) contain the lower-case `word`, ASCII case-insensitive? */
function containsLower(buf: Buffer, from: number, to: number, word: Buffer): boolean {
  for (let i = from; i + word.length <= to; i++) {
    if (equalsLower(buf, i, word)) return true;
  }
  return false;
}

/** Decimal digits in buf[from, to) as a number; -1 when empty or not all digits. */
function decimal(buf: Buffer, from: number, to: number): number {
  if (from >= to || to - from > 15) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function hexDigit(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48;
  const lower = byte | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

export class ResponseParser {
  /** Status of the final (non-1xx) response. */
  status = 0;
  /** Content-Type mentions json. */
  json = false;
  /** The connection may carry another request after this response. */
  keepAlive = true;
  /** The server's `Keep-Alive: timeout=N` hint in ms (0: none). */
  keepAliveHintMs = 0;
  /** Body bytes (decoded, without chunk framing). */
  bodyBytes = 0;
  /** Bytes that arrived after the end of the response in the last chunk (unsolicited). */
  trailing = 0;
  /** Any byte of a response arrived. */
  started = false;

  private state = HEAD;
  private isHeadRequest = false;
  private keepJsonBody = false;
  private keepBody = false;
  private chunks: Buffer[] = [];
  private pending: Buffer | undefined;
  private remaining = 0;
  // Chunk-size line: 0 digits, 1 extension, 2 saw CR. Chunk end / trailers: bytes in the line.
  private sub = 0;
  private digits = 0;

  /** Expect a new response (to a HEAD request or not; keep the body when it is JSON). */
  start(isHeadRequest: boolean, keepJsonBody: boolean): void {
    this.status = 0;
    this.json = false;
    this.keepAlive = true;
    this.keepAliveHintMs = 0;
    this.bodyBytes = 0;
    this.trailing = 0;
    this.started = false;
    this.state = HEAD;
    this.isHeadRequest = isHeadRequest;
    this.keepJsonBody = keepJsonBody;
    this.keepBody = false;
    if (this.chunks.length > 0) this.chunks = [];
    this.pending = undefined;
  }

  get done(): boolean {
    return this.state === DONE;
  }

  /** The kept body (JSON answers when asked for), or undefined. */
  body(): Buffer | undefined {
    if (!this.keepBody) return undefined;
    const { chunks } = this;
    if (chunks.length === 1) return chunks[0];
    return Buffer.concat(chunks, this.bodyBytes);
  }

  /** Feed bytes; true once the response is complete. Throws HttpParseError on malformed input. */
  execute(data: Buffer): boolean {
    if (this.state === DONE) {
      this.trailing += data.length;
      return true;
    }
    if (data.length > 0) this.started = true;
    let pos = 0;
    const end = data.length;
    while (pos < end) {
      switch (this.state) {
        case HEAD:
          pos = this.readHead(data, pos);
          break;
        case LENGTH: {
          const n = Math.min(this.remaining, end - pos);
          this.take(data, pos, pos + n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = DONE;
          break;
        }
        case UNTIL_CLOSE:
          this.take(data, pos, end);
          pos = end;
          break;
        case CHUNK_SIZE:
          pos = this.readChunkSize(data, pos);
          break;
        case CHUNK_DATA: {
          const n = Math.min(this.remaining, end - pos);
          this.take(data, pos, pos + n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.state = CHUNK_DATA_END;
            this.sub = 0;
          }
          break;
        }
        case CHUNK_DATA_END: {
          const byte = data[pos++];
          if (this.sub === 0 && byte === CR) this.sub = 1;
          else if (this.sub === 1 && byte === LF) {
            this.state = CHUNK_SIZE;
            this.sub = 0;
            this.digits = 0;
          } else throw new HttpParseError('chunk data not followed by CRLF');
          break;
        }
        case TRAILERS: {
          // Trailer lines are skipped; an empty line ends the message.
          const byte = data[pos++];
          if (byte === LF) {
            if (this.sub === 0) this.state = DONE;
            this.sub = 0;
          } else if (byte !== CR) this.sub++;
          break;
        }
        case DONE:
          this.trailing = end - pos;
          return true;
      }
      if (this.state === DONE) {
        this.trailing = end - pos;
        return true;
      }
    }
    return false;
  }

  /**
   * The connection closed. True when that completes the response (a body delimited by
   * the close); false when the response is incomplete (truncated or never started).
   */
  finish(): boolean {
    if (this.state === UNTIL_CLOSE) this.state = DONE;
    return this.state === DONE;
  }

  private take(data: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.bodyBytes += to - from;
    if (this.keepBody) this.chunks.push(Buffer.from(data.subarray(from, to)));
  }

  /** Find the end of the head (possibly across chunks), parse it; returns the new position. */
  private readHead(data: Buffer, pos: number): number {
    let buf = data;
    let from = pos;
    let searchFrom = pos;
    const pendingLength = this.pending?.length ?? 0;
    if (this.pending) {
      buf = Buffer.concat([this.pending, data.subarray(pos)]);
      from = 0;
      searchFrom = Math.max(0, pendingLength - 3);
    }
    const at = buf.indexOf(HEAD_END, searchFrom);
    if (at < 0) {
      if (buf.length - from > MAX_HEAD_BYTES) throw new HttpParseError(`head longer than ${MAX_HEAD_BYTES} bytes`);
      this.pending = from === 0 && buf !== data ? buf : Buffer.from(buf.subarray(from));
      return data.length;
    }
    this.pending = undefined;
    if (at + 4 - from > MAX_HEAD_BYTES) throw new HttpParseError(`head longer than ${MAX_HEAD_BYTES} bytes`);
    this.parseHead(buf, from, at + 2);
    // Position in `data` just after the head.
    return buf === data ? at + 4 : pos + (at + 4 - pendingLength);
  }

  /** Parse the status line and header lines in buf[start, end) (each line ends with CRLF). */
  private parseHead(buf: Buffer, start: number, end: number): void {
    // "HTTP/1.x SSS reason"
    if (
      end - start < 14 ||
      buf[start] !== 72 ||
      buf[start + 1] !== 84 ||
      buf[start + 2] !== 84 ||
      buf[start + 3] !== 80 ||
      buf[start + 4] !== 47 ||
      buf[start + 5] !== 49 ||
      buf[start + 6] !== 46 ||
      buf[start + 8] !== SP
    ) {
      throw new HttpParseError('bad status line');
    }
    const minor = buf[start + 7] - 48;
    const status = decimal(buf, start + 9, start + 12);
    if (minor < 0 || minor > 9 || status < 100 || status > 999 || (buf[start + 12] !== SP && buf[start + 12] !== CR)) {
      throw new HttpParseError('bad status line');
    }
    let connectionClose = false;
    let connectionKeepAlive = false;
    let length = -1;
    let chunked = false;
    let otherCoding = false;
    let json = false;
    let hintMs = 0;
    let line = buf.indexOf(LF, start + 12) + 1;
    while (line < end) {
      const lineEnd = buf.indexOf(CR, line);
      if (lineEnd < 0 || lineEnd >= end || buf[lineEnd + 1] !== LF)
        throw new HttpParseError('header line without CRLF');
      if (buf[line] === SP || buf[line] === HTAB) throw new HttpParseError('obsolete header line folding');
      const colon = buf.indexOf(COLON, line);
      if (colon < 0 || colon > lineEnd || colon === line) throw new HttpParseError('header line without a name');
      let v = colon + 1;
      while (v < lineEnd && (buf[v] === SP || buf[v] === HTAB)) v++;
      let vEnd = lineEnd;
      while (vEnd > v && (buf[vEnd - 1] === SP || buf[vEnd - 1] === HTAB)) vEnd--;
      switch (colon - line) {
        case 14:
          if (equalsLower(buf, line, NAME_CONTENT_LENGTH)) {
            const n = decimal(buf, v, vEnd);
            if (n < 0 || (length >= 0 && n !== length)) throw new HttpParseError('bad Content-Length');
            length = n;
          }
          break;
        case 17:
          if (equalsLower(buf, line, NAME_TRANSFER_ENCODING)) {
            // chunked only when it is the last coding.
            chunked =
              vEnd - v >= 7 &&
              equalsLower(buf, vEnd - 7, WORD_CHUNKED) &&
              (vEnd - v === 7 || buf[vEnd - 8] === SP || buf[vEnd - 8] === 44);
            otherCoding = !chunked; // another coding last: the body runs to the close
          }
          break;
        case 10:
          if (equalsLower(buf, line, NAME_CONNECTION)) {
            if (containsLower(buf, v, vEnd, WORD_CLOSE)) connectionClose = true;
            if (containsLower(buf, v, vEnd, NAME_KEEP_ALIVE)) connectionKeepAlive = true;
          } else if (equalsLower(buf, line, NAME_KEEP_ALIVE)) {
            hintMs = keepAliveTimeoutMs(buf, v, vEnd);
          }
          break;
        case 12:
          if (equalsLower(buf, line, NAME_CONTENT_TYPE)) json = containsLower(buf, v, vEnd, WORD_JSON);
          break;
      }
      line = lineEnd + 2;
    }

    if (status < 200) {
      if (status === 101) throw new HttpParseError('unexpected 101 Switching Protocols');
      return; // an interim answer: the final head follows (state stays HEAD)
    }
    this.status = status;
    this.json = json;
    this.keepAlive = minor >= 1 ? !connectionClose : connectionKeepAlive && !connectionClose;
    this.keepAliveHintMs = hintMs;
    this.keepBody = this.keepJsonBody && json;
    if (this.isHeadRequest || status === 204 || status === 304) {
      this.state = DONE;
    } else if (chunked) {
      this.state = CHUNK_SIZE;
      this.sub = 0;
      this.digits = 0;
      this.remaining = 0;
    } else if (length >= 0 && !otherCoding) {
      this.remaining = length;
      this.state = length === 0 ? DONE : LENGTH;
    } else {
      this.state = UNTIL_CLOSE;
      this.keepAlive = false;
    }
  }

  /** One chunk-size line: hex digits, an optional extension, CRLF. Returns the new position. */
  private readChunkSize(data: Buffer, pos: number): number {
    while (pos < data.length) {
      const byte = data[pos++];
      if (this.sub === 2) {
        if (byte !== LF) throw new HttpParseError('chunk size line without CRLF');
        if (this.digits === 0) throw new HttpParseError('chunk size without digits');
        if (this.remaining === 0) {
          this.state = TRAILERS;
          this.sub = 0;
        } else this.state = CHUNK_DATA;
        return pos;
      }
      if (byte === CR) {
        this.sub = 2;
        continue;
      }
      if (this.sub === 1) continue; // chunk extension: ignored
      const d = hexDigit(byte);
      if (d >= 0) {
        if (++this.digits > MAX_CHUNK_SIZE_DIGITS) throw new HttpParseError('chunk size too large');
        this.remaining = this.remaining * 16 + d;
      } else if (byte === 59 || byte === SP || byte === HTAB) {
        this.sub = 1; // ';' starts an extension (whitespace before it is tolerated)
      } else {
        throw new HttpParseError('bad chunk size');
      }
    }
    return pos;
  }
}

/** `timeout=N` (seconds) in a Keep-Alive header value, in ms; 0 when absent or malformed. */
function keepAliveTimeoutMs(buf: Buffer, from: number, to: number): number {
  for (let i = from; i + WORD_TIMEOUT.length <= to; i++) {
    if (!equalsLower(buf, i, WORD_TIMEOUT)) continue;
    let j = i + WORD_TIMEOUT.length;
    let n = 0;
    let any = false;
    while (j < to && buf[j] >= 48 && buf[j] <= 57 && n < 1e9) {
      n = n * 10 + (buf[j] - 48);
      j++;
      any = true;
    }
    return any ? n * 1000 : 0;
  }
  return 0;
}
