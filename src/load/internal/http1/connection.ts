// One keep-alive connection of the pool: one exchange at a time (no pipelining). The
// head is written in one write (a small body appended to it), a streamed body follows
// with backpressure, and every response byte goes straight to the ResponseParser.
// No timer per request: the pool's sweep reads `progress` to find stalled exchanges,
// and `idleSince` (the pool's coarse clock) to retire idle sockets before the server's
// keep-alive timeout closes them under a request.
import net from 'node:net';
import tls from 'node:tls';
import { lengthMismatchError, settle, socketClosedError } from './exchange.js';
import type { BodyChunks, Exchange } from './exchange.js';
import { ResponseParser } from './response-parser.js';

export interface Endpoint {
  host: string;
  port: number;
  /** TLS options for https origins; undefined for plain TCP. */
  tls: tls.ConnectionOptions | undefined;
}

/** What a connection tells its pool. */
export interface ConnectionOwner {
  /** The exchange finished and the socket may carry another. */
  release(connection: Connection): void;
  /** The socket is gone (or must not be reused). */
  remove(connection: Connection): void;
  /** A reused socket closed before answering a replayable exchange: send it again. */
  resend(exchange: Exchange): void;
}

const CRLF = Buffer.from('\r\n');
// Plain TCP sockets read into this one buffer and hand it to the parser synchronously
// (net's `onread`): no Buffer and no stream machinery per response. Safe to share: a
// read and its callback run back to back on this thread, and the parser copies what it keeps.
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

export class Connection {
  readonly socket: net.Socket;
  /** The exchange in flight, if any. */
  exchange: Exchange | undefined;
  /** Bumped by every response chunk and every body chunk written (the sweep's stall check). */
  progress = 0;
  /** Sweep bookkeeping: progress last seen and since when (pool clock). */
  seenProgress = -1;
  stalledSince = 0;
  /** Pool clock when it went idle. */
  idleSince = 0;
  /** Idle time after which the pool retires it (from the server's Keep-Alive hint). */
  keepAliveMs: number;
  /** The request body is fully written (the headers timeout applies, not the body one). */
  bodySent = true;
  /** Exchanges completed on this socket. */
  completed = 0;
  dead = false;
  private readonly owner: ConnectionOwner;
  private readonly parser = new ResponseParser();
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(endpoint: Endpoint, owner: ConnectionOwner, keepAliveMs: number) {
    this.owner = owner;
    this.keepAliveMs = keepAliveMs;
    if (endpoint.tls) {
      this.socket = tls.connect({
        ...endpoint.tls,
        host: endpoint.host,
        port: endpoint.port,
        servername: endpoint.tls.servername ?? serverName(endpoint.host),
      });
      this.socket.setNoDelay(true);
      this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    } else {
      this.socket = net.connect({
        host: endpoint.host,
        port: endpoint.port,
        noDelay: true,
        onread: {
          buffer: READ_BUFFER,
          callback: (n: number, buf: Uint8Array) => {
            this.onData((buf as Buffer).subarray(0, n));
            return true;
          },
        },
      });
    }
    this.socket.on('error', (error) => (this.error ??= error));
    this.socket.on('drain', () => this.resume());
    this.socket.on('close', () => this.onClose());
  }

  get busy(): boolean {
    return this.exchange !== undefined;
  }

  /** The response head arrived (the body timeout applies from then). */
  get headersDone(): boolean {
    return this.parser.status !== 0;
  }

  send(ex: Exchange): void {
    this.exchange = ex;
    this.seenProgress = -1;
    this.parser.start(ex.isHead, ex.keepJson);
    const { socket } = this;
    const body = ex.body;
    if (body === undefined) {
      this.bodySent = true;
      socket.write(ex.head);
    } else if (body instanceof Uint8Array) {
      this.bodySent = true;
      socket.cork();
      socket.write(ex.head);
      socket.write(body);
      socket.uncork();
    } else {
      this.bodySent = false;
      socket.write(ex.head);
      void this.pump(ex, body);
    }
  }

  /** End this exchange with `error` and drop the socket (abort, timeout). */
  fail(error: Error): void {
    const ex = this.exchange;
    this.exchange = undefined;
    this.drop();
    if (ex) settle(ex, error);
  }

  /** Close the socket; an exchange in flight ends as a closed socket. */
  drop(): void {
    if (this.dead) return;
    this.dead = true;
    this.owner.remove(this);
    this.socket.destroy();
    this.resume();
  }

  private onData(chunk: Buffer): void {
    const ex = this.exchange;
    if (!ex) {
      this.drop(); // bytes nobody asked for: the socket cannot be trusted any more
      return;
    }
    this.progress++;
    let complete: boolean;
    try {
      complete = this.parser.execute(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (complete) this.complete(ex);
  }

  private complete(ex: Exchange): void {
    const p = this.parser;
    const { status, bodyBytes } = p;
    const body = p.body();
    // An answer that came before the body was fully sent (an early 413) leaves the
    // request half written: that socket cannot carry another request.
    const reusable = p.keepAlive && p.trailing === 0 && this.bodySent;
    // Retire the socket before the server's announced timeout: a second early, or
    // halfway for hints of under two seconds.
    const hint = p.keepAliveHintMs;
    if (hint > 0) this.keepAliveMs = hint >= 2000 ? hint - 1000 : hint / 2;
    this.exchange = undefined;
    this.completed++;
    if (reusable) this.owner.release(this);
    else this.drop();
    settle(ex, undefined, status, body, bodyBytes);
  }

  private onClose(): void {
    const wasDead = this.dead;
    this.dead = true;
    if (!wasDead) this.owner.remove(this);
    this.resume();
    const ex = this.exchange;
    if (!ex) return;
    this.exchange = undefined;
    if (this.parser.finish()) {
      settle(ex, undefined, this.parser.status, this.parser.body(), this.parser.bodyBytes);
    } else if (this.completed > 0 && !this.parser.started && ex.replayable && !ex.retried) {
      // The server closed a kept-alive socket as we wrote to it: it never saw the request.
      ex.retried = true;
      this.owner.resend(ex);
    } else {
      settle(ex, this.error ?? socketClosedError());
    }
  }

  private resume(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Write a streamed body with backpressure; stops when the exchange ends early. */
  private async pump(ex: Exchange, body: BodyChunks): Promise<void> {
    const chunked = ex.bodyLength < 0;
    let sent = 0;
    ex.bodyWritten = 0;
    try {
      for await (const item of body) {
        if (this.exchange !== ex || this.dead) return; // answered early, aborted or closed
        const chunk: Uint8Array = typeof item === 'string' ? Buffer.from(item) : item;
        if (chunk.byteLength === 0) continue;
        sent += chunk.byteLength;
        if (!chunked && sent > ex.bodyLength) throw lengthMismatchError(ex.bodyLength, sent);
        this.progress++;
        ex.bodyWritten = sent;
        let flushed: boolean;
        if (chunked) {
          this.socket.cork();
          this.socket.write(`${chunk.byteLength.toString(16)}\r\n`);
          this.socket.write(chunk);
          flushed = this.socket.write(CRLF);
          this.socket.uncork();
        } else flushed = this.socket.write(chunk);
        // Wait for the socket to drain, or — when the kernel took the chunk at once, as
        // loopback often does for megabytes — yield to the event loop before the next
        // one: a loop of microtasks would write (and hash) a whole body while every
        // other connection, timer and reply waits.
        if (!flushed) await new Promise<void>((resolve) => (this.wake = resolve));
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (this.exchange !== ex || this.dead) return;
      if (chunked) this.socket.write(LAST_CHUNK);
      else if (sent !== ex.bodyLength) throw lengthMismatchError(ex.bodyLength, sent);
      this.bodySent = true;
      this.progress++;
    } catch (error) {
      if (this.exchange === ex) this.fail(error as Error);
    }
  }
}

/** SNI needs a host name, not an IP address. */
function serverName(host: string): string | undefined {
  return net.isIP(host) ? undefined : host;
}
