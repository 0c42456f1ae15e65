// The one /v1/subscribe client for tests: records every frame, waits on conditions
// (event-driven, bounded), and offers a barrier: an ack of a never-delivered id is
// answered with UNKNOWN_DELIVERY, and since the server handles frames in order and
// sends deliveries synchronously, anything a frame before it caused has arrived by then.
import WebSocket from 'ws';

export interface Delivery {
  id: string;
  stream: string;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever envelope it sent
  envelope: any;
  attempt: number;
  enqueuedAt: number;
}

export interface Frame {
  subscribed?: { stream: string; credit: number };
  deliver?: Delivery;
  error?: { code: string; message: string };
  [k: string]: unknown;
}

export interface Closed {
  code: number;
  reason: string;
}

export class SubClient {
  readonly frames: Frame[] = [];
  /** Receive times (ms) per frame index. */
  readonly at: number[] = [];
  readonly closed: Promise<Closed>;
  private checks = new Set<() => void>();
  private barriers = 0;
  private isClosed = false;

  /** `onFrame` sees each frame once it is recorded, before any condition is checked on it. */
  constructor(
    readonly ws: WebSocket,
    private readonly onFrame?: (frame: Frame) => void,
  ) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      this.frames.push(frame);
      this.at.push(Date.now());
      this.onFrame?.(frame);
      this.poke();
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        this.poke();
        resolve({ code, reason: reason.toString() });
      }),
    );
  }

  /** Connect and wait for `subscribed`. `onOpen` runs as soon as the socket opens (before `subscribed` is awaited). */
  static async connect(
    url: string,
    opts: {
      token?: string;
      tokenInQuery?: boolean;
      /** Request headers (a token given as `token` is added as `authorization`). */
      headers?: Record<string, string>;
      onOpen?: (c: SubClient) => void;
      onFrame?: (frame: Frame) => void;
      waitSubscribed?: boolean;
    } = {},
  ): Promise<SubClient> {
    let target = url;
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token && opts.tokenInQuery)
      target += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(opts.token)}`;
    else if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const ws = new WebSocket(target, { headers });
    const client = new SubClient(ws, opts.onFrame);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => {
        opts.onOpen?.(client);
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })),
        );
      });
      ws.once('error', reject);
    });
    if (opts.waitSubscribed !== false) await client.until(() => client.frames.some((f) => f.subscribed));
    return client;
  }

  get deliveries(): Delivery[] {
    return this.frames.flatMap((f) => (f.deliver ? [f.deliver] : []));
  }

  /** Error frames, without the replies to barrier() probes. */
  get errors(): Array<{ code: string; message: string }> {
    return this.frames.flatMap((f) => (f.error && !f.error.message.includes('"barrier-') ? [f.error] : []));
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  credit(n: number): void {
    this.send({ credit: n });
  }

  ack(id: string): void {
    this.send({ ack: id });
  }

  nack(id: string, delayMs?: number): void {
    this.send(delayMs === undefined ? { nack: id } : { nack: id, delayMs });
  }

  /** Resolve once `cond()` holds (checked now and on every frame); reject after `timeoutMs`. */
  until(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (cond()) {
          cleanup();
          resolve();
        } else if (this.isClosed) {
          cleanup();
          reject(new Error(`connection closed before ${what} (frames: ${JSON.stringify(this.frames.slice(-3))})`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `${what} not met within ${timeoutMs} ms (got ${this.deliveries.length} deliveries, ${this.frames.length} frames)`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.checks.delete(check);
      };
      this.checks.add(check);
    });
  }

  waitDeliveries(n: number, timeoutMs = 3000): Promise<Delivery[]> {
    return this.until(() => this.deliveries.length >= n, timeoutMs, `${n} deliveries`).then(() => this.deliveries);
  }

  waitError(code: string, timeoutMs = 3000): Promise<{ code: string; message: string }> {
    return this.until(() => this.errors.some((e) => e.code === code), timeoutMs, `error ${code}`).then(
      () => this.errors.find((e) => e.code === code)!,
    );
  }

  /** Round trip through the server's frame handling (see the file comment). */
  async barrier(timeoutMs = 3000): Promise<void> {
    const id = `barrier-${++this.barriers}`;
    const before = this.frames.length;
    this.ack(id);
    await this.until(
      () => this.frames.slice(before).some((f) => f.error?.code === 'UNKNOWN_DELIVERY' && f.error.message.includes(id)),
      timeoutMs,
      'barrier',
    );
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    else this.ws.terminate();
    const t = setTimeout(() => this.ws.terminate(), 1000);
    await this.closed;
    clearTimeout(t);
  }

  private poke(): void {
    for (const check of [...this.checks]) check();
  }
}

/** Track clients and close them all (afterEach). */
export class ClientPool {
  private readonly clients = new Set<SubClient>();
  async connect(url: string, opts?: Parameters<typeof SubClient.connect>[1]): Promise<SubClient> {
    const c = await SubClient.connect(url, opts);
    this.clients.add(c);
    return c;
  }
  add(c: SubClient): SubClient {
    this.clients.add(c);
    return c;
  }
  async closeAll(): Promise<void> {
    await Promise.all([...this.clients].map((c) => c.close().catch(() => {})));
    this.clients.clear();
  }
}
