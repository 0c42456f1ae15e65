// One /v1/subscribe connection: a socket on one side, a streams-engine Consumer on
// the other. The connection only translates — frames to consumer calls, deliveries
// to frames — and enforces transport limits (frame rate, frame size, socket buffer).
// Every delivery rule (credit, in-flight cap, redelivery, dead letter) is the engine's.
import { TokenBucket } from 'limiter';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { GatewayError } from '../errors.js';
import { UndeliverableError } from '../streams/poison.js';
import type { Consumer, StreamMessage, StreamsEngine } from '../streams/types.js';
import { deliverFrame, errorFrame, parseClientFrame, quoteId, subscribedFrame } from './frames.js';
import type { WsMetrics } from './metrics.js';

/** How often a paused (backpressured) connection re-checks its socket buffer. */
const RESUME_POLL_MS = 5;

export interface ConnectionLimits {
  maxCredit: number;
  maxInflight: number;
  maxFramesPerS: number;
  /** Frames above this many bytes are refused with FRAME_TOO_LARGE and 1009. */
  maxMessageSize: number;
  /** Above this socket buffer the consumer pauses; it resumes below half. */
  maxBufferedBytes: number;
}

/** The TCP socket under the WebSocket (net.Socket): only its write batching is used. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

export interface ConnectionDeps {
  connId: string;
  tenant: string;
  stream: string;
  socket: WebSocket;
  /** The TCP socket `socket` writes to; when given, deliveries sent in one tick go out in one write. */
  tcp?: Corkable;
  streams: StreamsEngine;
  limits: ConnectionLimits;
  metrics: WsMetrics;
  log: Logger;
  /** Called once, after the socket closed and the consumer returned its messages. */
  onClosed(conn: SubscriberConnection): void;
}

export class SubscriberConnection {
  readonly connId: string;
  readonly startedAt = Date.now();
  /** False between a ping and its pong. */
  alive = true;
  private consumer: Consumer | undefined;
  private readonly pending: RawData[] = [];
  private readonly bucket: TokenBucket;
  private ending = false;
  private finished = false;
  private sentClose: number | undefined;
  private backpressured = false;
  private readonly counts = { creditGranted: 0, deliveries: 0, acks: 0, nacks: 0, unknown: 0 };
  private resumeTimer: NodeJS.Timeout | undefined;
  private corked = false;
  private readonly uncork = () => {
    this.corked = false;
    this.d.tcp?.uncork();
  };

  constructor(private readonly d: ConnectionDeps) {
    this.connId = d.connId;
    this.bucket = new TokenBucket({
      bucketSize: d.limits.maxFramesPerS,
      tokensPerInterval: d.limits.maxFramesPerS,
      interval: 'second',
    });
    this.bucket.content = d.limits.maxFramesPerS; // start full: a burst up to the per-second limit is fine
    d.socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    d.socket.on('pong', () => (this.alive = true));
    d.socket.on('close', (code) => this.onClose(code));
    // An 'error' listener is also installed by @fastify/websocket; errors end in 'close'.
    d.socket.on('error', () => {});
  }

  get tenant(): string {
    return this.d.tenant;
  }

  /**
   * Attach the consumer, send `subscribed`, then handle frames that arrived before it.
   * `subscribed` goes out only once the subscription exists (a failure is an INTERNAL
   * error frame and 1011, never `subscribed` first); with no credit yet, no delivery
   * can precede it.
   */
  start(): void {
    if (this.ending) return;
    this.consumer = this.d.streams.subscribe(
      this.d.tenant,
      this.d.stream,
      { deliver: (m) => this.deliver(m) },
      {
        maxInflight: this.d.limits.maxInflight,
      },
    );
    this.d.socket.send(subscribedFrame(this.d.stream));
    this.d.log.info({ event: 'connect', connId: this.connId, tenant: this.d.tenant, stream: this.d.stream });
    while (this.pending.length > 0 && !this.ending) this.handle(this.pending.shift() as RawData);
  }

  /** End with an error frame and the error's close code (or `code`). Unsettled messages return now. */
  fail(err: GatewayError, code = err.closeCode ?? 1011): void {
    if (this.ending) return;
    this.ending = true;
    this.consumer?.close();
    const socket = this.d.socket;
    if (socket.readyState === socket.OPEN) {
      socket.send(errorFrame(err));
      this.sentClose = code;
      socket.close(code, err.code);
    } else {
      socket.terminate();
    }
  }

  /** Drop a peer that missed a pong. */
  terminate(): void {
    this.ending = true;
    this.consumer?.close();
    this.d.socket.terminate();
  }

  ping(): void {
    this.alive = false;
    this.d.socket.ping();
  }

  private deliver(m: StreamMessage): void {
    const socket = this.d.socket;
    // The engine only calls while the consumer has credit; a socket that is no longer
    // open cannot take it, so hand the message back (the engine treats a throw as a
    // disconnect and redelivers it elsewhere).
    if (socket.readyState !== socket.OPEN) throw new Error('socket is not open');
    // A message that cannot be framed (too deep for JSON.stringify, or any other
    // serialisation failure) is the message's fault, not the transport's: the engine
    // dead-letters it with reason `unframeable` and this subscriber keeps its credit
    // and its subscription (streams/poison.ts). Nothing has been sent for it.
    let frame: string;
    try {
      frame = deliverFrame(m);
    } catch (err) {
      throw new UndeliverableError('unframeable', 'the message cannot be framed for delivery', { cause: err });
    }
    // Deliveries come in bursts (a credit frame, an ack freeing the in-flight cap):
    // corking the TCP socket until the end of this tick sends a burst in one write
    // (one syscall) instead of one per frame. bufferedAmount still counts corked bytes,
    // so backpressure below sees them.
    if (!this.corked && this.d.tcp) {
      this.corked = true;
      this.d.tcp.cork();
      process.nextTick(this.uncork);
    }
    socket.send(frame);
    this.counts.deliveries++;
    this.d.metrics.message('delivered');
    if (m.attempt > 1) this.d.metrics.message('redelivered');
    this.checkBuffer();
  }

  // Backpressure: `bufferedAmount` is what the socket has accepted but not yet handed
  // to the kernel. Above the limit the consumer pauses (it keeps its credit) and a
  // short poll watches the buffer; below half the limit the consumer resumes. A reader
  // that never reads therefore holds at most ~maxBufferedBytes (+ one frame) of our
  // memory. Polling only while paused keeps the per-delivery path free of write
  // callbacks.
  private checkBuffer(): void {
    const consumer = this.consumer;
    if (!consumer || this.ending) return;
    const buffered = this.d.socket.bufferedAmount;
    if (!this.backpressured) {
      if (buffered <= this.d.limits.maxBufferedBytes) return;
      this.backpressured = true;
      consumer.pause();
      this.resumeTimer = setInterval(() => this.checkBuffer(), RESUME_POLL_MS);
      this.resumeTimer.unref();
    } else if (buffered <= this.d.limits.maxBufferedBytes / 2) {
      this.backpressured = false;
      this.stopResumePoll();
      consumer.resume();
    }
  }

  private stopResumePoll(): void {
    if (this.resumeTimer) clearInterval(this.resumeTimer);
    this.resumeTimer = undefined;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.ending) return;
    this.alive = true;
    if (!this.bucket.tryRemoveTokens(1)) {
      this.fail(new GatewayError('RATE_LIMITED', `More than ${this.d.limits.maxFramesPerS} frames per second`));
      return;
    }
    if (isBinary) {
      this.fail(new GatewayError('UNKNOWN_OP', 'Frames are JSON text; binary frames are not supported'));
      return;
    }
    if (!this.consumer) this.pending.push(data);
    else this.handle(data);
  }

  private handle(data: RawData): void {
    const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
    if (bytes > this.d.limits.maxMessageSize) {
      this.fail(new GatewayError('FRAME_TOO_LARGE', `Frames are limited to ${this.d.limits.maxMessageSize} bytes`));
      return;
    }
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Buffer.from(data).toString('utf8');
    const parsed = parseClientFrame(text, this.d.limits.maxCredit);
    if (!parsed.ok) {
      if (parsed.error.closeCode !== undefined) this.fail(parsed.error);
      else this.sendError(parsed.error);
      return;
    }
    const consumer = this.consumer as Consumer;
    const frame = parsed.frame;
    switch (frame.op) {
      case 'credit':
        // The window is additive but bounded: unused credit never exceeds maxCredit, so
        // a client cannot bank an unbounded window by sending many credit frames.
        if (consumer.credit + frame.n > this.d.limits.maxCredit) {
          this.sendError(
            new GatewayError(
              'INVALID_CREDIT',
              `credit ${frame.n} would raise the window to ${consumer.credit + frame.n}, above ${this.d.limits.maxCredit}; window unchanged at ${consumer.credit}`,
            ),
          );
          return;
        }
        this.counts.creditGranted += frame.n;
        this.d.metrics.credit(frame.n);
        consumer.grant(frame.n);
        return;
      case 'ack':
        if (consumer.ack(frame.id) === 'ok') {
          this.counts.acks++;
          this.d.metrics.message('acked');
        } else this.unknown(frame.id);
        return;
      case 'nack':
        if (consumer.nack(frame.id, frame.delayMs) === 'ok') {
          this.counts.nacks++;
          this.d.metrics.message('nacked');
        } else this.unknown(frame.id);
        return;
    }
  }

  private unknown(id: string): void {
    this.counts.unknown++;
    this.d.metrics.message('unknown_settle');
    this.sendError(new GatewayError('UNKNOWN_DELIVERY', `No unsettled delivery ${quoteId(id)} on this connection`));
  }

  private sendError(err: GatewayError): void {
    const socket = this.d.socket;
    if (socket.readyState === socket.OPEN) socket.send(errorFrame(err));
  }

  private onClose(code: number): void {
    if (this.finished) return;
    this.finished = true;
    this.ending = true;
    this.stopResumePoll();
    this.consumer?.close(); // unsettled deliveries return to the stream
    const closeCode = this.sentClose ?? code;
    this.d.log.info({
      event: 'close',
      connId: this.connId,
      tenant: this.d.tenant,
      stream: this.d.stream,
      credit: this.counts.creditGranted,
      deliveries: this.counts.deliveries,
      acks: this.counts.acks,
      nacks: this.counts.nacks,
      unknownSettles: this.counts.unknown,
      closeCode,
      durMs: Date.now() - this.startedAt,
    });
    this.d.metrics.connectionClosed(closeCode, true);
    this.d.onClosed(this);
  }
}
