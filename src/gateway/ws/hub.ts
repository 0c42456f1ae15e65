// Per-gateway WebSocket state: the open subscriber connections, per-tenant connection
// counts, the ping sweep and the drain hook. One hub per GatewayContext; when
// /v1/subscribe is served by more than one Fastify instance (HTTP and WS ports), they
// share one hub so tenant connection caps and metrics count every connection once.
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { GatewayContext } from '../context.js';
import type { Tenant } from '../config/resolved.js';
import { GatewayError } from '../errors.js';
import { SubscriberConnection, type ConnectionLimits, type Corkable } from './connection.js';
import { errorFrame } from './frames.js';
import { WsMetrics } from './metrics.js';

/** How long a drain waits for close handshakes before terminating sockets. */
const DRAIN_CLOSE_WAIT_MS = 2000;

export class SubscribeHub {
  readonly metrics: WsMetrics;
  readonly limits: ConnectionLimits;
  private readonly connections = new Set<SubscriberConnection>();
  private readonly perTenant = new Map<string, number>();
  private readonly idPrefix = randomBytes(3).toString('hex');
  private seq = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private draining = false;
  private closedWaiters: Array<() => void> = [];

  constructor(private readonly ctx: GatewayContext) {
    const env = ctx.env;
    this.limits = {
      maxCredit: env.CONDUIT_WS_MAX_CREDIT,
      maxInflight: env.CONDUIT_WS_MAX_INFLIGHT,
      maxFramesPerS: env.CONDUIT_WS_MAX_FRAMES_PER_S,
      maxMessageSize: env.CONDUIT_WS_MAX_MESSAGE_SIZE,
      maxBufferedBytes: env.CONDUIT_WS_MAX_BUFFERED_BYTES,
    };
    this.metrics = new WsMetrics(ctx.metrics.registry, () => ctx.streams.totals());
    this.metrics.attachJson(ctx.metrics);
    ctx.lifecycle.onDrain(() => this.drain());
    if (env.CONDUIT_WS_PING_INTERVAL_MS > 0) {
      this.pingTimer = setInterval(() => this.sweep(), env.CONDUIT_WS_PING_INTERVAL_MS);
      this.pingTimer.unref();
    }
  }

  get size(): number {
    return this.connections.size;
  }

  /** Take over an upgraded socket for `tenant` / `stream`; `tcp` is the socket under it (for write batching). */
  accept(socket: WebSocket, tenant: Tenant, stream: string, tcp?: Corkable): void {
    const connId = `${this.idPrefix}-${(++this.seq).toString(36)}`;
    if (this.draining || this.ctx.lifecycle.draining) {
      this.reject(socket, connId, tenant.name, stream, new GatewayError('DRAINING'));
      return;
    }
    const open = this.perTenant.get(tenant.name) ?? 0;
    if (open >= tenant.limits.maxConnections) {
      this.reject(
        socket,
        connId,
        tenant.name,
        stream,
        new GatewayError(
          'CONNECTION_LIMIT',
          `Tenant ${tenant.name} has ${open} of ${tenant.limits.maxConnections} WebSocket connections open`,
        ),
      );
      return;
    }
    this.perTenant.set(tenant.name, open + 1);
    this.metrics.connectionOpened();
    this.ctx.metrics.countTenant(tenant.name, 'wsConnections');
    const conn = new SubscriberConnection({
      connId,
      tenant: tenant.name,
      stream,
      socket,
      tcp,
      streams: this.ctx.streams,
      limits: this.limits,
      metrics: this.metrics,
      log: this.ctx.logs.ws,
      onClosed: (c) => this.release(c),
    });
    this.connections.add(conn);
    try {
      conn.start();
    } catch (err) {
      this.ctx.logs.app.error({ err, connId }, 'subscribe failed');
      conn.fail(new GatewayError('INTERNAL', 'The subscription could not be started'));
    }
  }

  /** Drain: stop deliveries, return unsettled messages, close every socket with 1001. */
  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    // Stopping delivery engine-wide first means no delivery slips out between the
    // last frame and the close; the engine returns every unsettled message.
    await this.ctx.streams.stopDelivery();
    const err = new GatewayError('DRAINING', 'The gateway is shutting down; reconnect to another instance');
    for (const conn of this.connections) conn.fail(err, 1001);
    await this.waitClosed(DRAIN_CLOSE_WAIT_MS);
    for (const conn of this.connections) conn.terminate();
  }

  /** Stop the ping sweep (gateway close). Sockets are closed by the server's own close. */
  close(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  private sweep(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        this.ctx.logs.ws.info({ event: 'ping-timeout', connId: conn.connId, tenant: conn.tenant });
        conn.terminate();
      } else conn.ping();
    }
  }

  private reject(socket: WebSocket, connId: string, tenant: string, stream: string, err: GatewayError): void {
    const code = err.closeCode ?? 1008;
    this.metrics.connectionRejected();
    this.metrics.connectionClosed(code, false);
    this.ctx.logs.ws.info({ event: 'reject', connId, tenant, stream, code: err.code, closeCode: code });
    socket.on('error', () => {});
    socket.send(errorFrame(err));
    socket.close(code, err.code);
  }

  private release(conn: SubscriberConnection): void {
    if (!this.connections.delete(conn)) return;
    const left = (this.perTenant.get(conn.tenant) ?? 1) - 1;
    if (left > 0) this.perTenant.set(conn.tenant, left);
    else this.perTenant.delete(conn.tenant);
    if (this.connections.size === 0) {
      const waiters = this.closedWaiters;
      this.closedWaiters = [];
      for (const w of waiters) w();
    }
  }

  private waitClosed(timeoutMs: number): Promise<void> {
    if (this.connections.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.closedWaiters.push(done);
    });
  }
}
