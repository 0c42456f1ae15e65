// The gateway's three pino loggers. `app` is the operational log on stdout; `http` and
// `ws` write JSON lines to the files named by CONDUIT_HTTP_LOG / CONDUIT_WS_LOG
// (parent directories are created). Lines carry `ts` (ISO time) and `level` (a label).
// Nothing here ever logs headers or query strings, so tokens never reach a log.
//
// The two files get a line per request and per WebSocket event, so their writes are
// batched, as nginx's `access_log ... buffer= flush=` does: pino's destination
// (SonicBoom) holds lines until LOG_BATCH_BYTES are buffered and writes them in one
// write(2) from the event loop, and writes whatever it holds every CONDUIT_LOG_FLUSH_MS.
// It holds them as Buffers (SonicBoom's `contentMode: 'buffer'`; each line encoded once,
// joined once per write): in its string mode it appends each line to one string and
// measures that string's UTF-8 length on every line, which flattens it — ~2.4 KiB of
// garbage per line at a 4 KiB batch, more than the rest of the line's cost
// (docs/performance.md).
// A write of a few KiB to the page cache costs less than handing each write to libuv's
// thread pool and waking the loop when it is done (what an async destination does:
// measured ~1 µs per line here, docs/performance.md); the log must be a file, not a pipe
// to a slow reader. CONDUIT_LOG_FLUSH_MS=0 writes every line at once, asynchronously.
// Request lines reach the destination at the end of the event-loop turn they were
// logged in (observability/request-line.ts).
// Nothing buffered is lost on a stop: close() (drain, then exit) writes it all before
// the files close, and an exit without close() (a second stop signal, a crash) writes
// it synchronously from the process's 'exit' event. Only a process killed outright
// (SIGKILL, OOM) loses at most the last CONDUIT_LOG_FLUSH_MS of lines.
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { EnvSettings } from '../config/env.js';
import type { GatewayLogs } from '../context.js';
import { lineHead, requestLineLog, tsField } from './request-line.js';

type SonicBoom = ReturnType<typeof pino.destination>;

/** Bytes of lines the request and WebSocket logs buffer before a write (with CONDUIT_LOG_FLUSH_MS > 0). */
export const LOG_BATCH_BYTES = 16_384;
/** The most one write(2) of a batch carries. */
const LOG_MAX_WRITE = 65_536;

/** What pino writes to: each line handed to a buffer-mode SonicBoom as one Buffer. */
function lineBuffers(dest: SonicBoom): DestinationStream {
  return { write: (line: string) => dest.write(Buffer.from(line) as unknown as string) };
}

/** `text(<ISO time>)`, computed once per millisecond (every line of a busy millisecond shares it). */
function perMillisecond(text: (iso: string) => string): () => string {
  let lastMs = -1;
  let last = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      last = text(new Date(now).toISOString());
    }
    return last;
  };
}

const baseOptions = () =>
  ({
    base: undefined,
    timestamp: perMillisecond((iso) => `,${tsField(iso)}`),
    formatters: { level: (label: string) => ({ level: label }) },
  }) satisfies pino.LoggerOptions;

export interface OwnedLogs {
  logs: GatewayLogs;
  /** Flush and close the files (and the stdout writer when this module created it). */
  close(): Promise<void>;
}

function openFile(path: string, flushMs: number): Promise<SonicBoom> {
  const cannot = (err: unknown) =>
    new Error(`cannot open log file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  let dest: SonicBoom;
  try {
    mkdirSync(dirname(path), { recursive: true });
    dest = pino.destination(
      flushMs > 0
        ? {
            dest: path,
            sync: true,
            mkdir: true,
            minLength: LOG_BATCH_BYTES,
            maxWrite: LOG_MAX_WRITE,
            periodicFlush: flushMs,
            contentMode: 'buffer',
          }
        : { dest: path, sync: false, mkdir: true },
    );
  } catch (err) {
    // A synchronous destination opens its file at once, and throws when it cannot.
    return Promise.reject(cannot(err));
  }
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(cannot(err));
    dest.once('error', onError);
    dest.once('ready', () => {
      dest.off('error', onError);
      resolve(dest);
    });
  });
}

function endStream(dest: SonicBoom): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2000);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    dest.once('close', done);
    dest.once('error', done);
    try {
      dest.end();
    } catch {
      done();
    }
  });
}

/**
 * Create the loggers. `appDestination` replaces stdout for the app log (tests pass a
 * sink); when this module writes to stdout it ignores write errors: a dead reader of
 * stdout (EPIPE) must never stop the gateway or block its exit.
 */
export async function createLogs(env: EnvSettings, appDestination?: DestinationStream): Promise<OwnedLogs> {
  const owned: SonicBoom[] = [];
  let appDest = appDestination;
  if (!appDest) {
    const stdout = pino.destination({ dest: 1, sync: false });
    stdout.on('error', () => {});
    owned.push(stdout);
    appDest = stdout;
  }
  const app: Logger = pino({ ...baseOptions(), level: env.CONDUIT_LOG_LEVEL, name: 'conduit' }, appDest);
  const flushMs = env.CONDUIT_LOG_FLUSH_MS;
  const httpDest = await openFile(env.CONDUIT_HTTP_LOG, flushMs);
  owned.push(httpDest);
  const wsDest = env.CONDUIT_WS_LOG === env.CONDUIT_HTTP_LOG ? httpDest : await openFile(env.CONDUIT_WS_LOG, flushMs);
  if (wsDest !== httpDest) owned.push(wsDest);
  for (const d of [httpDest, wsDest]) d.on('error', (err) => app.error({ err }, 'log file write failed'));
  const to = (d: SonicBoom) => (flushMs > 0 ? lineBuffers(d) : d);
  let open = true;
  const requests = requestLineLog(to(httpDest), perMillisecond(lineHead), () => open);
  // The request lines wait for the end of the event-loop turn; another line to the same
  // file first writes them, so the file keeps the order lines were logged in.
  const afterRequests = (d: SonicBoom): DestinationStream => {
    const dest = to(d);
    return {
      write: (line: string) => {
        requests.flush();
        dest.write(line);
      },
    };
  };
  const http = pino({ ...baseOptions(), level: 'info' }, afterRequests(httpDest));
  const ws = pino({ ...baseOptions(), level: 'info' }, wsDest === httpDest ? afterRequests(wsDest) : to(wsDest));
  // pino writes an asynchronous destination's buffer on exit, not a synchronous one's.
  const files = [...new Set([httpDest, wsDest])];
  const flushOnExit = () => {
    requests.flush();
    for (const d of files) {
      try {
        d.flushSync();
      } catch {
        // Closed already, or exiting with nowhere to report to.
      }
    }
  };
  process.on('exit', flushOnExit);
  return {
    logs: { app, http, ws, requests },
    async close() {
      // A socket that closes after the gateway did may still log its request: from now on
      // the loggers drop lines instead of writing to an ended stream (which throws).
      for (const logger of [app, http, ws]) logger.level = 'silent';
      requests.flush();
      open = false;
      await Promise.all(owned.map(endStream));
      process.off('exit', flushOnExit);
    },
  };
}
