// Request heads for the generator's HTTP/1.1 client, built once where they can be: a
// request without a body or extra headers (GET /health, a bench's GET /) is a cached
// Buffer written as is; anything else is one string, validated so a header value can
// never smuggle a second request onto a keep-alive socket.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;
const BAD_TARGET = /[^\x21-\x7e]/;
const CACHE_LIMIT = 256;

/** Headers the client frames itself: a caller's value for these is ignored (host is kept). */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection']);

/** How the body is framed: its byte length, 'chunked', or none (no body, no header). */
export type BodyFraming = number | 'chunked' | undefined;

export class RequestHeads {
  private readonly host: string;
  private readonly fixed: string;
  private readonly cache = new Map<string, Buffer>();

  /** `host`: the Host header value; `fixed`: headers sent with every request (e.g. authorization). */
  constructor(host: string, fixed: Record<string, string> = {}) {
    this.host = host;
    this.fixed = headerLines(fixed);
  }

  /** The head of a request without a body or extra headers (cached per method and path). */
  bare(method: string, path: string): Buffer {
    const key = `${method} ${path}`;
    let head = this.cache.get(key);
    if (!head) {
      checkTarget(method, path);
      head = Buffer.from(`${key} HTTP/1.1\r\nhost: ${this.host}\r\n${this.fixed}${noBodyLength(method)}\r\n`, 'latin1');
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(key, head);
    }
    return head;
  }

  /** The head of any request, as a string ending with the blank line. */
  build(method: string, path: string, headers: Record<string, string> | undefined, framing: BodyFraming): string {
    checkTarget(method, path);
    let extra = '';
    let host = true;
    if (headers) {
      for (const name in headers) {
        const value = headers[name];
        const lower = name.toLowerCase();
        if (FRAMING.has(lower)) continue;
        if (lower === 'host') host = false;
        extra += headerLine(name, value);
      }
    }
    let length: string;
    if (framing === undefined) length = noBodyLength(method);
    else if (framing === 'chunked') length = 'transfer-encoding: chunked\r\n';
    else length = `content-length: ${framing}\r\n`;
    return `${method} ${path} HTTP/1.1\r\n${host ? `host: ${this.host}\r\n` : ''}${this.fixed}${extra}${length}\r\n`;
  }
}

/** Methods that carry a body by definition say so even when it is empty (as undici and curl do). */
function noBodyLength(method: string): string {
  return method === 'POST' || method === 'PUT' || method === 'PATCH' ? 'content-length: 0\r\n' : '';
}

function checkTarget(method: string, path: string): void {
  if (!TOKEN.test(method)) throw new TypeError(`invalid HTTP method ${JSON.stringify(method)}`);
  if (path.length === 0 || BAD_TARGET.test(path) || (path[0] !== '/' && path !== '*')) {
    throw new TypeError(
      `invalid request path ${JSON.stringify(path)} (it must start with / and contain no spaces or control characters)`,
    );
  }
}

function headerLine(name: string, value: string): string {
  if (!TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
  const text = String(value);
  if (BAD_VALUE.test(text)) throw new TypeError(`invalid value for header ${name}: CR, LF and NUL are not allowed`);
  return `${name}: ${text}\r\n`;
}

function headerLines(headers: Record<string, string>): string {
  let out = '';
  for (const name in headers) out += headerLine(name, headers[name]);
  return out;
}
