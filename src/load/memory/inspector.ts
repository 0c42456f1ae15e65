// A minimal Chrome DevTools Protocol client for a Node.js target started with
// `--inspect`: one WebSocket session, commands answered by id, every command bounded in
// time. It is how the harness reads ANY Node.js target's post-GC heap on its own cadence
// (HeapProfiler.collectGarbage, then Runtime.getHeapUsage) and what it retains
// (HeapProfiler sampling), not only Conduit's.
//
// An address is a `ws://` debugger URL (used as is), or `host:port` / `http://host:port`
// / a port, whose `/json/list` names the debugger URL. Only loopback addresses are
// accepted: the inspector gives full control of the process to whoever connects.
import { request } from 'undici';
import WebSocket from 'ws';

export interface InspectorClientOptions {
  /** Bound on the connection and on each command. @default 5000 */
  timeoutMs?: number;
}

export class InspectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InspectorError';
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The debugger WebSocket URL for an inspector address; throws InspectorError saying why not. */
export async function resolveInspectorUrl(address: string, timeoutMs = 5000): Promise<string> {
  const text = address.trim();
  if (/^wss?:\/\//.test(text)) return checkLoopback(text);
  const origin = /^https?:\/\//.test(text) ? text : /^\d+$/.test(text) ? `http://127.0.0.1:${text}` : `http://${text}`;
  const listUrl = new URL('/json/list', checkLoopback(origin));
  let list: unknown;
  try {
    const res = await request(listUrl, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new InspectorError(`${listUrl} answered ${res.statusCode}`);
    }
    list = await res.body.json();
  } catch (error) {
    if (error instanceof InspectorError) throw error;
    throw new InspectorError(
      `no inspector at ${listUrl.host} (${(error as Error).message}); start the target with --inspect=${listUrl.host}`,
    );
  }
  const entry = Array.isArray(list)
    ? (list as Array<{ webSocketDebuggerUrl?: unknown }>).find((e) => typeof e?.webSocketDebuggerUrl === 'string')
    : undefined;
  if (!entry) throw new InspectorError(`${listUrl} lists no debugger URL (another debugger may be attached)`);
  return entry.webSocketDebuggerUrl as string;
}

function checkLoopback(url: string): string {
  const host = new URL(url).hostname;
  if (!LOOPBACK.has(host))
    throw new InspectorError(`inspector address ${url} is not loopback: only 127.0.0.1, ::1 or localhost are used`);
  return url;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class InspectorClient {
  private readonly socket: WebSocket;
  private readonly timeoutMs: number;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedReason: string | undefined;

  private constructor(socket: WebSocket, timeoutMs: number) {
    this.socket = socket;
    this.timeoutMs = timeoutMs;
    socket.on('message', (data) => this.onMessage(data.toString()));
    socket.on('close', () => this.failAll('the inspector connection closed'));
    socket.on('error', (error) => this.failAll(`inspector connection error: ${error.message}`));
  }

  /** Connect to an inspector address (see the module header). */
  static async connect(address: string, options: InspectorClientOptions = {}): Promise<InspectorClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const url = await resolveInspectorUrl(address, timeoutMs);
    const socket = new WebSocket(url, {
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
      maxPayload: 512 * 1024 * 1024,
    });
    await new Promise<void>((resolve, reject) => {
      const refused = (_req: unknown, res: { statusCode?: number }) =>
        fail(new Error(`upgrade answered ${res.statusCode}`));
      const fail = (error: Error) => {
        socket.off('unexpected-response', refused);
        socket.terminate();
        reject(new InspectorError(`cannot attach to the inspector at ${url}: ${error.message}`));
      };
      socket.once('open', () => {
        socket.off('error', fail);
        socket.off('unexpected-response', refused);
        resolve();
      });
      socket.once('error', fail);
      socket.once('unexpected-response', refused);
    });
    return new InspectorClient(socket, timeoutMs);
  }

  get isOpen(): boolean {
    return this.closedReason === undefined && this.socket.readyState === WebSocket.OPEN;
  }

  /** Send one command; resolves with its `result`, rejects on a protocol error, a close or the timeout. */
  send<T = unknown>(method: string, params: Record<string, unknown> = {}, timeoutMs = this.timeoutMs): Promise<T> {
    if (!this.isOpen)
      return Promise.reject(
        new InspectorError(`${method}: ${this.closedReason ?? 'the inspector connection is not open'}`),
      );
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new InspectorError(`${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Close the session (idempotent). Pending commands reject. */
  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    const timer = setTimeout(() => this.socket.terminate(), 1000);
    this.socket.close();
    await closed;
    clearTimeout(timer);
  }

  private onMessage(text: string): void {
    let message: { id?: number; result?: unknown; error?: { message?: string } };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message.id !== 'number') return; // an event: none are subscribed to
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.error) pending.reject(new InspectorError(message.error.message ?? 'protocol error'));
    else pending.resolve(message.result);
  }

  private failAll(reason: string): void {
    this.closedReason ??= reason;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new InspectorError(reason));
      this.pending.delete(id);
    }
  }
}
