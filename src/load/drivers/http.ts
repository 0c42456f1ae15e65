// HTTP driver: one undici Pool per target origin (keep-alive, bounded connections),
// plus helpers for the Conduit API. Every response body is consumed (or dumped) so
// sockets return to the pool; status codes and bytes go into the metrics. Transport
// errors are thrown for the caller (the engine classifies them).
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { classifyStatus } from '../classify.js';
import type { Metrics } from '../metrics.js';
import type { OpResult } from '../models.js';

export interface HttpClientOptions {
  /** Origin of the target, e.g. http://127.0.0.1:9087 (a path is ignored). */
  url: string;
  metrics: Metrics;
  /** Bearer token sent with every request. */
  token?: string;
  /** Pool size (keep-alive sockets). @default 100 */
  connections?: number;
  /** @default 30000 */
  headersTimeoutMs?: number;
  /** @default 60000 */
  bodyTimeoutMs?: number;
  /** Statuses counted as "rejected by design" rather than errors. @default [429, 503] */
  rejectStatuses?: number[];
}

export interface HttpRequest {
  method: Dispatcher.HttpMethod;
  path: string;
  headers?: Record<string, string>;
  body?: Dispatcher.DispatchOptions['body'];
  /** Bytes in the body when it is a stream (for the bytes counter). */
  bodyBytes?: number;
  signal?: AbortSignal;
  /** Parse a JSON answer. @default true */
  json?: boolean;
}

export interface HttpOutcome<T = unknown> extends OpResult {
  status: number;
  body?: T;
}

export class HttpClient {
  readonly pool: Pool;
  readonly origin: string;
  readonly metrics: Metrics;
  private readonly token?: string;
  private readonly rejectStatuses: Set<number>;

  constructor(options: HttpClientOptions) {
    this.origin = new URL(options.url).origin;
    this.metrics = options.metrics;
    this.token = options.token;
    this.rejectStatuses = new Set(options.rejectStatuses ?? [429, 503]);
    this.pool = new Pool(this.origin, {
      connections: options.connections ?? 100,
      pipelining: 1,
      headersTimeout: options.headersTimeoutMs ?? 30_000,
      bodyTimeout: options.bodyTimeoutMs ?? 60_000,
      keepAliveTimeout: 30_000,
    });
  }

  async request<T = unknown>(req: HttpRequest): Promise<HttpOutcome<T>> {
    const headers: Record<string, string> = { ...req.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await this.pool.request({
      origin: this.origin,
      method: req.method,
      path: req.path,
      headers,
      body: req.body,
      signal: req.signal,
    });
    const status = res.statusCode;
    this.metrics.status(status);
    let received = 0;
    let body: T | undefined;
    const text = await res.body.text();
    received = Buffer.byteLength(text);
    if (req.json !== false && text.length > 0 && String(res.headers['content-type'] ?? '').includes('json')) {
      try {
        body = JSON.parse(text) as T;
      } catch {
        body = undefined;
      }
    }
    const sent = req.bodyBytes ?? (typeof req.body === 'string' ? Buffer.byteLength(req.body) : 0);
    this.metrics.bytes(sent, received);
    if (status < 400) return { ok: true, status, body };
    if (this.rejectStatuses.has(status)) return { ok: false, rejected: true, status, body, error: `HTTP_${status}` };
    return { ok: false, status, body, error: classifyStatus(status) };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Close now, aborting in-flight requests (after a failure). */
  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}

export interface EnqueueAnswer {
  id: string;
  stream: string;
}

export type StatsAnswer = Record<string, number | string>;

/** The Conduit API on top of HttpClient. */
export class ConduitClient extends HttpClient {
  enqueue(to: string, envelope: unknown, signal?: AbortSignal): Promise<HttpOutcome<EnqueueAnswer>> {
    return this.request<EnqueueAnswer>({
      method: 'POST',
      path: '/v1/enqueue',
      headers: { 'content-type': 'application/json' },
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
