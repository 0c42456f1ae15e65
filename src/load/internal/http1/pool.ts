// The generator's HTTP/1.1 connection pool: up to `connections` keep-alive sockets to
// one origin, opened on demand, the most recently used reused first, exchanges queued
// FIFO when every socket is busy. Its per-request work is a pop, a write and a parse.
// Everything that would cost a timer or a listener per request is shared instead:
// one sweep timer finds stalled exchanges (headers/body timeouts) and retires idle
// sockets before the server's keep-alive timeout; one abort listener per signal (the
// engine passes the same signal to every request) serves all the exchanges using it.
import { performance } from 'node:perf_hooks';
import type tls from 'node:tls';
import { Connection } from './connection.js';
import type { ConnectionOwner, Endpoint } from './connection.js';
import {
  abortError,
  bodyTimeoutError,
  closedClientError,
  destroyedClientError,
  headersTimeoutError,
  settle,
} from './exchange.js';
import type { Exchange } from './exchange.js';

export interface PoolOptions {
  /** http: or https: origin. */
  origin: URL;
  /** Most sockets open at once. */
  connections: number;
  /** After the request is sent, how long the response head may take. */
  headersTimeoutMs: number;
  /** How long a body (sent or received) may make no progress. */
  bodyTimeoutMs: number;
  /** Idle time after which a socket is closed when the server sends no Keep-Alive hint. */
  keepAliveTimeoutMs: number;
  /** Extra TLS options for https: origins. */
  tls?: tls.ConnectionOptions;
}

/** One listener on an AbortSignal for every exchange that uses it. */
class SignalWatch {
  users = 0;
  constructor(
    private readonly pool: ConnectionPool,
    readonly signal: AbortSignal,
    readonly onAbort: () => void,
  ) {}

  leave(): void {
    if (--this.users === 0) this.pool.unwatch(this);
  }
}

export class ConnectionPool implements ConnectionOwner {
  private readonly options: PoolOptions;
  private readonly endpoint: Endpoint;
  private readonly all = new Set<Connection>();
  private readonly idle: Connection[] = [];
  private queue: Exchange[] = [];
  private readonly watches = new Map<AbortSignal, SignalWatch>();
  private readonly sweepMs: number;
  private sweeper: NodeJS.Timeout | undefined;
  private clock = performance.now();
  private closing = false;
  private whenIdle: (() => void) | undefined;

  constructor(options: PoolOptions) {
    if (!Number.isInteger(options.connections) || options.connections < 1) {
      throw new RangeError(`connections must be an integer >= 1, got ${options.connections}`);
    }
    const { origin } = options;
    if (origin.protocol !== 'http:' && origin.protocol !== 'https:')
      throw new TypeError(`unsupported protocol ${origin.protocol} (http: or https:)`);
    this.options = options;
    this.endpoint = {
      host: origin.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(origin.port) || (origin.protocol === 'https:' ? 443 : 80),
      tls: origin.protocol === 'https:' ? { ...options.tls } : undefined,
    };
    this.sweepMs = Math.max(10, Math.min(250, Math.min(options.headersTimeoutMs, options.bodyTimeoutMs) / 4));
  }

  /** Sockets open, idle and busy; exchanges waiting for a socket. */
  get stats(): { open: number; idle: number; busy: number; queued: number } {
    const open = this.all.size;
    const idle = this.idle.length;
    return { open, idle, busy: open - idle, queued: this.queue.length };
  }

  dispatch(ex: Exchange): void {
    if (this.closing) {
      settle(ex, closedClientError());
      return;
    }
    const { signal } = ex;
    if (signal) {
      if (signal.aborted) {
        settle(ex, abortError(signal));
        return;
      }
      let watch = this.watches.get(signal);
      if (!watch) {
        watch = new SignalWatch(this, signal, () => this.abortAll(signal));
        this.watches.set(signal, watch);
        signal.addEventListener('abort', watch.onAbort, { once: true });
      }
      watch.users++;
      ex.watch = watch;
    }
    this.run(ex);
  }

  unwatch(watch: SignalWatch): void {
    watch.signal.removeEventListener('abort', watch.onAbort);
    if (this.watches.get(watch.signal) === watch) this.watches.delete(watch.signal);
  }

  release(connection: Connection): void {
    const next = this.queue.shift();
    if (next) {
      connection.send(next);
      return;
    }
    connection.idleSince = this.clock;
    this.idle.push(connection);
    this.checkIdle();
  }

  remove(connection: Connection): void {
    if (!this.all.delete(connection)) return;
    const at = this.idle.lastIndexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
    // A freed slot serves the queue.
    if (this.queue.length > 0) this.run(this.queue.shift()!);
    this.checkIdle();
  }

  resend(exchange: Exchange): void {
    this.run(exchange);
  }

  /** Let every exchange finish, then close the sockets. New exchanges are refused. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.all.size > this.idle.length || this.queue.length > 0) {
      await new Promise<void>((resolve) => (this.whenIdle = resolve));
    }
    await this.closeSockets();
  }

  /** End every exchange now (CLIENT_DESTROYED) and close the sockets. */
  async destroy(): Promise<void> {
    this.closing = true;
    const queued = this.queue;
    this.queue = [];
    for (const ex of queued) settle(ex, destroyedClientError());
    for (const connection of [...this.all]) {
      if (connection.busy) connection.fail(destroyedClientError());
    }
    await this.closeSockets();
    this.whenIdle?.();
  }

  private run(ex: Exchange): void {
    let connection = this.idle.pop();
    while (connection?.dead) connection = this.idle.pop();
    if (!connection) {
      if (this.all.size >= this.options.connections) {
        this.queue.push(ex);
        return;
      }
      connection = new Connection(this.endpoint, this, this.options.keepAliveTimeoutMs);
      this.all.add(connection);
      if (!this.sweeper) {
        this.clock = performance.now();
        this.sweeper = setInterval(() => this.sweep(), this.sweepMs).unref();
      }
    }
    connection.send(ex);
  }

  private abortAll(signal: AbortSignal): void {
    const error = abortError(signal);
    const queued = this.queue.filter((ex) => ex.signal === signal);
    if (queued.length > 0) this.queue = this.queue.filter((ex) => ex.signal !== signal);
    for (const ex of queued) settle(ex, error);
    for (const connection of [...this.all]) {
      if (connection.exchange?.signal === signal) connection.fail(error);
    }
  }

  /** Timeouts of stalled exchanges, retirement of idle sockets. */
  private sweep(): void {
    const now = performance.now();
    this.clock = now;
    const { headersTimeoutMs, bodyTimeoutMs } = this.options;
    for (const connection of [...this.all]) {
      if (connection.busy) {
        if (connection.progress !== connection.seenProgress) {
          connection.seenProgress = connection.progress;
          connection.stalledSince = now;
          continue;
        }
        const waitingForHead = connection.bodySent && !connection.headersDone;
        const limit = waitingForHead ? headersTimeoutMs : bodyTimeoutMs;
        if (now - connection.stalledSince > limit) {
          connection.fail(waitingForHead ? headersTimeoutError(headersTimeoutMs) : bodyTimeoutError(bodyTimeoutMs));
        }
      } else if (now - connection.idleSince > connection.keepAliveMs) {
        connection.drop();
      }
    }
    if (this.all.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private checkIdle(): void {
    if (this.whenIdle && this.all.size === this.idle.length && this.queue.length === 0) {
      const resolve = this.whenIdle;
      this.whenIdle = undefined;
      resolve();
    }
  }

  private async closeSockets(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    const closed = [...this.all].map(
      (c) =>
        new Promise<void>((resolve) =>
          c.socket.destroyed && c.socket.closed ? resolve() : c.socket.once('close', () => resolve()),
        ),
    );
    for (const connection of [...this.all]) connection.drop();
    await Promise.all(closed);
  }
}
