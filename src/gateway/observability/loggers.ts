// The gateway's three pino loggers. `app` is the operational log on stdout; `http` and
// `ws` write JSON lines to the files named by CONDUIT_HTTP_LOG / CONDUIT_WS_LOG
// (parent directories are created). Lines carry `ts` (ISO time) and `level` (a label).
// Nothing here ever logs headers or query strings, so tokens never reach a log.
//
// The two files get a line per request and per WebSocket event, so their writes are
// batched: pino's destination (SonicBoom) holds lines until LOG_BATCH_BYTES are
// buffered, and writes whatever it holds every CONDUIT_LOG_FLUSH_MS (0: every line at
// once). Nothing buffered is lost on a stop: close() (drain, then exit) writes it all
// before the files close, and on process exit without close() pino writes it
// synchronously. Only a process killed outright (SIGKILL, OOM) loses at most the last
// CONDUIT_LOG_FLUSH_MS of lines.
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { EnvSettings } from '../config/env.js';
import type { GatewayLogs } from '../context.js';

type SonicBoom = ReturnType<typeof pino.destination>;

/** Bytes of lines the request and WebSocket logs buffer before a write (with CONDUIT_LOG_FLUSH_MS > 0). */
export const LOG_BATCH_BYTES = 4096;
/** The largest single write (SonicBoom's maxWrite; its default). */
const LOG_MAX_WRITE = 16_384;

/** `,"ts":"<ISO time>"`, computed once per millisecond (every line of a busy millisecond shares it). */
function isoTimestamp(): () => string {
  let lastMs = -1;
  let last = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      last = `,"ts":"${new Date(now).toISOString()}"`;
    }
    return last;
  };
}

const baseOptions = () =>
  ({
    base: undefined,
    timestamp: isoTimestamp(),
    formatters: { level: (label: string) => ({ level: label }) },
  }) satisfies pino.LoggerOptions;

export interface OwnedLogs {
  logs: GatewayLogs;
  /** Flush and close the files (and the stdout writer when this module created it). */
  close(): Promise<void>;
}

function openFile(path: string, flushMs: number): Promise<SonicBoom> {
  mkdirSync(dirname(path), { recursive: true });
  const batching = flushMs > 0 ? { minLength: LOG_BATCH_BYTES, maxWrite: LOG_MAX_WRITE, periodicFlush: flushMs } : {};
  const dest = pino.destination({ dest: path, sync: false, mkdir: true, ...batching });
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(new Error(`cannot open log file ${path}: ${err.message}`));
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
  const http = pino({ ...baseOptions(), level: 'info' }, httpDest);
  const ws = pino({ ...baseOptions(), level: 'info' }, wsDest);
  return {
    logs: { app, http, ws },
    async close() {
      // A socket that closes after the gateway did may still log its request: from now on
      // the loggers drop lines instead of writing to an ended stream (which throws).
      for (const logger of [app, http, ws]) logger.level = 'silent';
      await Promise.all(owned.map(endStream));
    },
  };
}
