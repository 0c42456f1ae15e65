// WebSocket subscriber driver for /v1/subscribe: connects (connect time recorded),
// waits for `subscribed`, grants credit through a CreditWindow, settles each delivery
// with a seeded random ack/nack policy, records delivery latency (first attempts only: a
// redelivery's age includes the nack delay) and reports every delivery to the
// DeliveryLedger. With a DeliveryClock the latency counts from the generator's own send
// of the enqueue (`ws.delivery`, µs resolution); without one, or for messages this
// generator did not send, from the gateway's `enqueuedAt` (`ws.delivery.enqueuedAt`,
// epoch ms, so 1 ms resolution).
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { classifyClose, classifyError } from '../classify.js';
import type { DeliveryClock } from '../delivery-clock.js';
import type { DeliveryLedger } from '../ledger.js';
import type { Metrics } from '../metrics.js';
import { createRng } from '../prng.js';
import type { Rng } from '../prng.js';
import { CreditWindow } from './credit.js';
import type { CreditPolicy } from './credit.js';

export interface AckPolicy {
  /** Probability of a nack instead of an ack. @default 0 */
  nackRate: number;
  /** delayMs sent with a nack. @default 100 */
  nackDelayMs?: number;
}

export interface WsSubscriberOptions {
  /** WebSocket base URL of the target, e.g. ws://127.0.0.1:9088. */
  url: string;
  stream: string;
  metrics: Metrics;
  token?: string;
  ledger?: DeliveryLedger;
  /** Delivery latency from the producer's send time (shared with the producer). */
  clock?: DeliveryClock;
  credit?: Partial<CreditPolicy>;
  ack?: AckPolicy;
  /** Seed of the ack/nack decisions. @default 1 */
  seed?: number;
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** Path of the subscribe endpoint. @default '/v1/subscribe' */
  path?: string;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** True when this client initiated the close. */
  byClient: boolean;
}

interface DeliverFrame {
  deliver?: { id: string; stream: string; attempt: number; enqueuedAt: number; envelope?: unknown };
  subscribed?: { stream: string; credit: number };
  error?: { code: string; message: string };
}

export class WsSubscriber {
  readonly credit: CreditWindow;
  readonly closed: Promise<CloseInfo>;
  private readonly options: WsSubscriberOptions;
  private readonly metrics: Metrics;
  private readonly rng: Rng;
  private socket: WebSocket | undefined;
  private closing = false;
  private corked = false;
  private resolveClosed!: (info: CloseInfo) => void;
  private counts = { deliveries: 0, acks: 0, nacks: 0 };

  constructor(options: WsSubscriberOptions) {
    this.options = options;
    this.metrics = options.metrics;
    this.credit = new CreditWindow(options.credit);
    this.rng = createRng(options.seed ?? 1);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  get stats() {
    return { ...this.counts, granted: this.credit.totalGranted };
  }

  /** Connect and wait for `subscribed`. Rejects (and counts the failure) on error or timeout. */
  connect(signal?: AbortSignal): Promise<void> {
    const { url, stream, token, path = '/v1/subscribe', connectTimeoutMs = 10_000 } = this.options;
    const target = new URL(path, url);
    target.searchParams.set('stream', stream);
    const headers = token ? { authorization: `Bearer ${token}` } : undefined;
    const started = performance.now();
    this.metrics.count('connections.attempted');
    const socket = new WebSocket(target, { headers, handshakeTimeout: connectTimeoutMs, perMessageDeflate: false });
    this.socket = socket;

    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let subscribed = false;
      const fail = (kind: string, error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.metrics.count('connections.failed');
        this.metrics.error(kind);
        socket.terminate();
        reject(error);
      };
      const onAbort = () => fail('ABORTED', new Error('connect aborted'));
      const timer = setTimeout(
        () => fail('TIMEOUT', new Error(`no 'subscribed' within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });

      socket.on('open', () => this.metrics.recordLatency('ws.connect', performance.now() - started));
      socket.on('error', (error) => fail(classifyError(error), error));
      socket.on('unexpected-response', (_req, res) => {
        this.metrics.status(res.statusCode ?? 0);
        fail(`HTTP_${res.statusCode}`, new Error(`upgrade refused with ${res.statusCode}`));
      });
      socket.on('close', (code, reason) => {
        const byClient = this.closing;
        if (!settled) fail(classifyClose(code), new Error(`closed ${code} before subscribed`));
        else if (subscribed && !byClient) {
          // The server (or the network) ended a subscription we did not close.
          this.metrics.count('ws.serverCloses');
          if (code !== 1000) this.metrics.error(classifyClose(code));
        }
        this.resolveClosed({ code, reason: reason.toString(), byClient });
      });
      socket.on('message', (data) => {
        let frame: DeliverFrame;
        try {
          frame = JSON.parse(data.toString()) as DeliverFrame;
        } catch {
          this.metrics.error('WS_BAD_FRAME');
          return;
        }
        if (frame.subscribed && !settled) {
          settled = true;
          subscribed = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.metrics.count('connections.opened');
          this.metrics.recordLatency('ws.subscribe', performance.now() - started);
          this.grant(this.credit.initial());
          resolve();
        } else if (frame.deliver) {
          this.onDeliver(frame.deliver);
        } else if (frame.error) {
          this.metrics.count('ws.errorFrames');
          this.metrics.error(`WS_${frame.error.code}`);
        }
      });
    });
  }

  /** Close (1000 by default) and wait for the close to complete. */
  async close(code = 1000, timeoutMs = 5000): Promise<CloseInfo> {
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) {
      return socket ? this.closed : { code: 1006, reason: 'never connected', byClient: true };
    }
    this.closing = true;
    socket.close(code);
    const timer = setTimeout(() => socket.terminate(), timeoutMs);
    try {
      return await this.closed;
    } finally {
      clearTimeout(timer);
    }
  }

  private onDeliver(d: NonNullable<DeliverFrame['deliver']>): void {
    const receivedAt = performance.now();
    this.counts.deliveries++;
    this.metrics.count('ws.deliveries');
    const nack = this.options.ack && this.options.ack.nackRate > 0 && this.rng.next() < this.options.ack.nackRate;
    // The envelope carries the ledger's stamp (its sequence number); whether we ack tells
    // the ledger the message is settled.
    const kind = this.options.ledger?.delivered(d.id, d.attempt, { envelope: d.envelope, acked: !nack });
    if (kind === 'duplicate') this.metrics.count('ws.duplicates');
    if (d.attempt > 1) this.metrics.count('ws.redeliveries');
    else if (kind !== 'duplicate') {
      const fromEnqueuedAt = Math.max(0, Date.now() - d.enqueuedAt);
      if (this.options.clock) this.options.clock.delivered(d.id, fromEnqueuedAt, receivedAt);
      else this.metrics.recordLatency('ws.delivery.enqueuedAt', fromEnqueuedAt);
    }
    if (nack) {
      this.counts.nacks++;
      this.metrics.count('ws.nacks');
      this.send(`{"nack":${JSON.stringify(d.id)},"delayMs":${this.options.ack?.nackDelayMs ?? 100}}`);
    } else {
      this.counts.acks++;
      this.metrics.count('ws.acks');
      this.send(`{"ack":${JSON.stringify(d.id)}}`);
    }
    this.grant(this.credit.onDelivery());
  }

  private grant(n: number): void {
    if (n <= 0) return;
    this.metrics.count('ws.grants');
    this.metrics.count('ws.creditGranted', n);
    this.send(`{"credit":${n}}`);
  }

  /**
   * Send one JSON text frame. The frames sent while one TCP read is handled (an ack per
   * delivery in a burst, a credit grant) leave in one write: the socket is corked at the
   * first and uncorked on the next tick. A write per ack would otherwise be most of what
   * a subscriber costs. (ws has no public cork; its socket is `_socket`, used only when it
   * is there.)
   */
  private send(frame: string): void {
    const socket = this.socket;
    if (socket?.readyState !== WebSocket.OPEN) return;
    if (!this.corked) {
      const raw = (socket as unknown as { _socket?: { cork?: () => void; uncork?: () => void } })._socket;
      if (typeof raw?.cork === 'function' && typeof raw.uncork === 'function') {
        raw.cork();
        this.corked = true;
        process.nextTick(() => {
          this.corked = false;
          raw.uncork!();
        });
      }
    }
    socket.send(frame);
  }
}

export interface SubscriberFleetOptions extends Omit<WsSubscriberOptions, 'stream' | 'seed'> {
  /** How many subscribers. */
  count: number;
  /** Streams to spread them over, round robin (subscriber i takes streams[i % length]). */
  streams: readonly string[];
}

/** `count` subscribers spread over `streams`, each with its own ack/nack seed (i + 1). */
export function createSubscriberFleet(options: SubscriberFleetOptions): WsSubscriber[] {
  const { count, streams, ...shared } = options;
  if (streams.length === 0) throw new Error('createSubscriberFleet: at least one stream is needed');
  return Array.from(
    { length: count },
    (_, i) => new WsSubscriber({ ...shared, stream: streams[i % streams.length], seed: i + 1 }),
  );
}
