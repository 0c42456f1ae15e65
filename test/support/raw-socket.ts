// Raw-socket tools for what ordinary clients cannot express (several requests in one
// write, bytes a parser refuses, a body that stalls or is cut, pauses mid-headers,
// unmasked WebSocket frames). `exchange` writes steps and collects what the server sends
// until it closes (or a bound); `rawConnection` is a connected socket the test drives
// step by step; `parseResponses` splits what was received into HTTP answers;
// `frame`/`parseFrames` build client frames and read server frames (RFC 6455 §5.2).
import { connect, type Socket } from 'node:net';

/** Bytes to write, a pause, a wait for what the server sent, or a half-close (FIN) of our side. */
export type Step = string | Buffer | { pauseMs: number } | { until: (received: Buffer) => boolean } | { end: true };

export interface Exchange {
  bytes: Buffer;
  /** The server closed the connection (FIN or reset) within the bound. */
  closedByServer: boolean;
  /** The connection was reset. */
  reset: boolean;
  /** The code (or message) of the first socket error, if any. */
  error?: string;
  /** Milliseconds from connect to close (or to the bound). */
  ms: number;
}

export interface ExchangeOptions {
  /** Give up (and destroy our socket) after this long; default 3000 ms. */
  boundMs?: number;
  /** Stop early once this holds for what was received. */
  until?: (received: Buffer) => boolean;
}

export function hostPort(base: string): { host: string; port: number } {
  const url = new URL(base.replace(/^ws/, 'http'));
  return { host: url.hostname, port: Number(url.port) };
}

export function exchange(base: string, steps: Step[] | string | Buffer, opts: ExchangeOptions = {}): Promise<Exchange> {
  const { host, port } = hostPort(base);
  const list = Array.isArray(steps) ? steps : [steps];
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const chunks: Buffer[] = [];
    let reset = false;
    let error: string | undefined;
    let done = false;
    let waiting: (() => void) | undefined;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), closedByServer, reset, error, ms: Date.now() - started });
      waiting?.();
    };
    const timer = setTimeout(() => finish(false), opts.boundMs ?? 3000);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (opts.until?.(Buffer.concat(chunks))) finish(false);
      waiting?.();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reset = true;
      error ??= e.code ?? e.message;
    });
    socket.on('close', () => finish(true));
    socket.once('connect', async () => {
      for (const step of list) {
        if (done || socket.destroyed) return;
        if (typeof step === 'string' || Buffer.isBuffer(step)) socket.write(step);
        else if ('pauseMs' in step) await new Promise((r) => setTimeout(r, step.pauseMs));
        else if ('until' in step) {
          await new Promise<void>((resolve) => {
            waiting = () => {
              if (done || step.until(Buffer.concat(chunks))) {
                waiting = undefined;
                resolve();
              }
            };
            waiting();
          });
        } else socket.end();
      }
    });
  });
}

export interface RawConnection {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): Buffer;
  /** Write `bytes`; resolves once the socket took them (waits out backpressure). */
  write(bytes: string | Buffer): Promise<void>;
  /** Resolves with `Date.now()` when the socket closed (either side, or a reset). */
  closed: Promise<number>;
}

/**
 * A connected socket driven step by step by the test (a body that stalls, an upload cut
 * mid-part), for what `exchange` cannot script ahead. Errors after connecting are
 * swallowed (a reset shows as `closed`); the test destroys the socket when done.
 */
export async function rawConnection(base: string): Promise<RawConnection> {
  const { host, port } = hostPort(base);
  const socket = connect(port, host);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {});
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  return {
    socket,
    received: () => Buffer.concat(chunks),
    write: (bytes) => new Promise((resolve, reject) => socket.write(bytes, (err) => (err ? reject(err) : resolve()))),
    closed,
  };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: whatever JSON the gateway answered
  body: any;
}

/** Split a byte stream from the server into HTTP/1.1 answers (Content-Length, chunked or to the end). */
export function parseResponses(bytes: Buffer): HttpAnswer[] {
  const out: HttpAnswer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at);
    if (headEnd === -1) break;
    const lines = bytes.subarray(at, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let bodyStart = headEnd + 4;
    let body: Buffer;
    if ((status >= 100 && status < 200) || status === 304 || status === 204) {
      body = Buffer.alloc(0);
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      body = bytes.subarray(bodyStart, bodyStart + n);
      bodyStart += n;
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = bytes.indexOf('\r\n', bodyStart);
        if (lineEnd === -1) break;
        const size = Number.parseInt(bytes.subarray(bodyStart, lineEnd).toString('latin1'), 16);
        bodyStart = lineEnd + 2;
        if (!(size > 0)) {
          bodyStart += 2;
          break;
        }
        parts.push(bytes.subarray(bodyStart, bodyStart + size));
        bodyStart += size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      body = bytes.subarray(bodyStart);
      bodyStart = bytes.length;
    }
    const text = body.toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    out.push({ status, headers, text, body: parsed });
    // A 101 is followed by WebSocket frames, not by another answer.
    if (status === 101) break;
    at = bodyStart;
  }
  return out;
}

/** The bytes after a 101 answer's head (the first WebSocket frames). */
export function afterUpgrade(bytes: Buffer): Buffer {
  const headEnd = bytes.indexOf('\r\n\r\n');
  return headEnd === -1 ? Buffer.alloc(0) : bytes.subarray(headEnd + 4);
}

export interface RequestSpec {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send `Host: 127.0.0.1` (default true). */
  host?: boolean;
  /** Send `Connection: close` so the server closes after the answer (default true). */
  close?: boolean;
  /** Omit the automatic Content-Length (default false). */
  noLength?: boolean;
  version?: string;
}

/** One HTTP request as bytes. */
export function httpRequest(spec: RequestSpec): Buffer {
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  const head = [`${spec.method ?? (body ? 'POST' : 'GET')} ${spec.path} ${spec.version ?? 'HTTP/1.1'}`];
  if (spec.host !== false) head.push('Host: 127.0.0.1');
  for (const [k, v] of Object.entries(spec.headers ?? {})) head.push(`${k}: ${v}`);
  if (body && !spec.noLength && !Object.keys(spec.headers ?? {}).some((k) => /^content-length$/i.test(k)))
    head.push(`Content-Length: ${body.length}`);
  if (spec.close !== false) head.push('Connection: close');
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)]);
}

export const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A WebSocket upgrade request; `headers` override the standard ones (undefined removes one). */
export function upgradeRequest(path: string, headers: Record<string, string | undefined> = {}): Buffer {
  const all: Record<string, string | undefined> = {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': WS_KEY,
    ...headers,
  };
  const present = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
  return httpRequest({ method: 'GET', path, headers: present, close: false });
}

export interface FrameSpec {
  opcode: number;
  payload?: string | Buffer;
  fin?: boolean;
  rsv1?: boolean;
  /** Clients must mask (default true). */
  mask?: boolean;
}

/** A client → server WebSocket frame. */
export function frame(spec: FrameSpec): Buffer {
  const payload = Buffer.from(spec.payload ?? '');
  const mask = spec.mask !== false;
  const b0 = (spec.fin === false ? 0 : 0x80) | (spec.rsv1 ? 0x40 : 0) | (spec.opcode & 0x0f);
  let head: Buffer;
  if (payload.length < 126) head = Buffer.from([b0, (mask ? 0x80 : 0) | payload.length]);
  else if (payload.length < 65536) {
    head = Buffer.alloc(4);
    head[0] = b0;
    head[1] = (mask ? 0x80 : 0) | 126;
    head.writeUInt16BE(payload.length, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = (mask ? 0x80 : 0) | 127;
    head.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  if (!mask) return Buffer.concat([head, payload]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= key[i % 4]!;
  return Buffer.concat([head, key, masked]);
}

export const text = (payload: string | Buffer) => frame({ opcode: 1, payload });

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** Server → client frames (unmasked) in `bytes`; an incomplete last frame is left out. */
export function parseFrames(bytes: Buffer): ServerFrame[] {
  const out: ServerFrame[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let len = bytes[at + 1]! & 0x7f;
    let off = at + 2;
    if (len === 126) {
      if (off + 2 > bytes.length) break;
      len = bytes.readUInt16BE(off);
      off += 2;
    } else if (len === 127) {
      if (off + 8 > bytes.length) break;
      len = Number(bytes.readBigUInt64BE(off));
      off += 8;
    }
    if (off + len > bytes.length) break;
    out.push({ opcode, payload: bytes.subarray(off, off + len) });
    at = off + len;
  }
  return out;
}

/** The close code of a close frame (opcode 8), undefined when there is none. */
export function closeCodeOf(frames: ServerFrame[]): number | undefined {
  const close = frames.find((f) => f.opcode === 8);
  return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
}

/** The JSON text frames among `frames`. */
export function jsonFrames(frames: ServerFrame[]): Array<Record<string, unknown>> {
  return frames
    .filter((f) => f.opcode === 1)
    .map((f) => JSON.parse(f.payload.toString('utf8')) as Record<string, unknown>);
}
