// HTTP driver: the generator's own HTTP/1.1 client (src/load/internal/http1) — one
// pool of keep-alive sockets per target origin, bounded connections, request heads
// built once where they can be, responses parsed without building header objects.
// It replaced undici here because per-request cost is load the generator does not
// send: see docs/load-testing.md "The generator" and bench/generator.ts. Status codes
// and bytes go into the metrics; a JSON answer is parsed when asked for. Transport
// errors are thrown for the caller (the engine classifies them).
import type { Readable } from 'node:stream';
import type tls from 'node:tls';
import { classifyStatus } from '../classify.js';
import type { BodyChunks, Exchange } from '../internal/http1/exchange.js';
import { ConnectionPool } from '../internal/http1/pool.js';
import { RequestHeads } from '../internal/http1/request-head.js';
import type { BodyFraming } from '../internal/http1/request-head.js';
import type { Metrics } from '../metrics.js';
import type { OpResult } from '../models.js';

export interface HttpClientOptions {
  /** Origin of the target, e.g. http://127.0.0.1:9087 (a path is ignored); http: or https:. */
  url: string;
  metrics: Metrics;
  /** Bearer token sent with every request. */
  token?: string;
  /** Pool size (keep-alive sockets, opened on demand). @default 100 */
  connections?: number;
  /** After the request is sent, how long the response head may take. @default 30000 */
  headersTimeoutMs?: number;
  /** How long a body, sent or received, may make no progress. @default 60000 */
  bodyTimeoutMs?: number;
  /** Idle socket lifetime when the server sends no `Keep-Alive: timeout` hint (with one: the hint − 1 s). @default 30000 */
  keepAliveTimeoutMs?: number;
  /** Statuses counted as "rejected by design" rather than errors. @default [429, 503] */
  rejectStatuses?: number[];
  /** TLS options for an https: target (ca, rejectUnauthorized, …). */
  tls?: tls.ConnectionOptions;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | (string & {});

/** A request body: text, bytes, or a stream of chunks (a Readable, a generator, an array). */
export type HttpBody = string | Uint8Array | Readable | BodyChunks;

export interface HttpRequest {
  method: HttpMethod;
  path: string;
  headers?: Record<string, string>;
  body?: HttpBody | null;
  /** Bytes in the body when it is a stream (its Content-Length; without it the body is sent chunked). */
  bodyBytes?: number;
  signal?: AbortSignal;
  /** Parse a JSON answer. @default true */
  json?: boolean;
}

export interface HttpOutcome<T = unknown> extends OpResult {
  status: number;
  body?: T;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export class HttpClient {
  readonly pool: ConnectionPool;
  readonly origin: string;
  readonly metrics: Metrics;
  private readonly heads: RequestHeads;
  private readonly rejectStatuses: Set<number>;

  constructor(options: HttpClientOptions) {
    const url = new URL(options.url);
    this.origin = url.origin;
    this.metrics = options.metrics;
    this.rejectStatuses = new Set(options.rejectStatuses ?? [429, 503]);
    this.heads = new RequestHeads(url.host, options.token ? { authorization: `Bearer ${options.token}` } : {});
    this.pool = new ConnectionPool({
      origin: url,
      connections: options.connections ?? 100,
      headersTimeoutMs: options.headersTimeoutMs ?? 30_000,
      bodyTimeoutMs: options.bodyTimeoutMs ?? 60_000,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 30_000,
      tls: options.tls,
    });
  }

  request<T = unknown>(req: HttpRequest): Promise<HttpOutcome<T>> {
    return new Promise<HttpOutcome<T>>((resolve, reject) => {
      const { method, path, headers } = req;
      const body = req.body ?? undefined;
      let head: string | Buffer;
      let rest: Exchange['body'];
      let bodyLength = 0;
      let sent = 0;
      let streamed = false;
      if (body === undefined) {
        head = headers ? this.heads.build(method, path, headers, undefined) : this.heads.bare(method, path);
      } else if (typeof body === 'string') {
        sent = Buffer.byteLength(body);
        head = this.heads.build(method, path, headers, sent) + body;
      } else if (body instanceof Uint8Array) {
        sent = body.byteLength;
        head = this.heads.build(method, path, headers, sent);
        rest = body;
      } else {
        const declared = req.bodyBytes ?? declaredLength(headers);
        const framing: BodyFraming = declared ?? 'chunked';
        head = this.heads.build(method, path, headers, framing);
        bodyLength = declared ?? -1;
        streamed = true;
        rest = body;
      }
      const exchange: Exchange = {
        head,
        body: rest,
        bodyLength,
        bodyWritten: 0,
        isHead: method === 'HEAD',
        keepJson: req.json !== false,
        replayable: IDEMPOTENT.has(method) && (rest === undefined || rest instanceof Uint8Array),
        signal: req.signal,
        settled: false,
        retried: false,
        watch: undefined,
        done: (error, status, answer, received) => {
          if (error) return reject(error);
          const { metrics } = this;
          metrics.status(status);
          // A streamed body counts what was written: an early answer (413) stops it short.
          metrics.bytes(streamed ? exchange.bodyWritten : sent, received);
          let parsed: T | undefined;
          if (answer !== undefined && answer.length > 0) {
            try {
              parsed = JSON.parse(answer.toString()) as T;
            } catch {
              parsed = undefined;
            }
          }
          if (status < 400) resolve({ ok: true, status, body: parsed });
          else if (this.rejectStatuses.has(status))
            resolve({ ok: false, rejected: true, status, body: parsed, error: `HTTP_${status}` });
          else resolve({ ok: false, status, body: parsed, error: classifyStatus(status) });
        },
      };
      this.pool.dispatch(exchange);
    });
  }

  /** Let in-flight requests finish, then close the sockets; later requests fail with CLIENT_CLOSED. */
  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Close now, failing in-flight requests with CLIENT_DESTROYED (after a failure). */
  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}

/** A caller's Content-Length header for a streamed body. */
function declaredLength(headers: Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined;
  for (const name in headers) {
    if (name.toLowerCase() !== 'content-length') continue;
    const n = Number(headers[name]);
    if (Number.isSafeInteger(n) && n >= 0) return n;
    throw new TypeError(`invalid content-length ${JSON.stringify(headers[name])}`);
  }
  return undefined;
}

export interface EnqueueAnswer {
  id: string;
  stream: string;
}

export type StatsAnswer = Record<string, number | string>;

const JSON_HEADERS: Record<string, string> = Object.freeze({ 'content-type': 'application/json' }) as Record<
  string,
  string
>;

/** The Conduit API on top of HttpClient. */
export class ConduitClient extends HttpClient {
  enqueue(to: string, envelope: unknown, signal?: AbortSignal): Promise<HttpOutcome<EnqueueAnswer>> {
    return this.request<EnqueueAnswer>({
      method: 'POST',
      path: '/v1/enqueue',
      headers: JSON_HEADERS,
      body: JSON.stringify({ to, envelope }),
      signal,
    }).then((out) => {
      if (out.ok) this.metrics.count('http.enqueued');
      return out;
    });
  }

  stats(stream: string, signal?: AbortSignal): Promise<HttpOutcome<StatsAnswer>> {
    return this.request<StatsAnswer>({ method: 'GET', path: `/v1/stats?stream=${encodeURIComponent(stream)}`, signal });
  }

  health(signal?: AbortSignal): Promise<HttpOutcome<{ status: string }>> {
    return this.request({ method: 'GET', path: '/health', signal });
  }
}
