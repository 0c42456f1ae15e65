// The gateway's three pino loggers. `app` is the operational log on stdout; `http` and
// `ws` write JSON lines to the files named by CONDUIT_HTTP_LOG / CONDUIT_WS_LOG
// (parent directories are created). Lines carry `ts` (ISO time) and `level` (a label).
// Nothing here ever logs headers or query strings, so tokens never reach a log.
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { EnvSettings } from '../config/env.js';
import type { GatewayLogs } from '../context.js';

type SonicBoom = ReturnType<typeof pino.destination>;

const baseOptions = {
  base: undefined,
  timestamp: () => `,"ts":"${new Date().toISOString()}"`,
  formatters: { level: (label: string) => ({ level: label }) },
} satisfies pino.LoggerOptions;

export interface OwnedLogs {
  logs: GatewayLogs;
  /** Flush and close the files (and the stdout writer when this module created it). */
  close(): Promise<void>;
}

function openFile(path: string): Promise<SonicBoom> {
  mkdirSync(dirname(path), { recursive: true });
  const dest = pino.destination({ dest: path, sync: false, mkdir: true });
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
  const app: Logger = pino({ ...baseOptions, level: env.CONDUIT_LOG_LEVEL, name: 'conduit' }, appDest);
  const httpDest = await openFile(env.CONDUIT_HTTP_LOG);
  owned.push(httpDest);
  const wsDest = env.CONDUIT_WS_LOG === env.CONDUIT_HTTP_LOG ? httpDest : await openFile(env.CONDUIT_WS_LOG);
  if (wsDest !== httpDest) owned.push(wsDest);
  for (const d of [httpDest, wsDest]) d.on('error', (err) => app.error({ err }, 'log file write failed'));
  const http = pino({ ...baseOptions, level: 'info' }, httpDest);
  const ws = pino({ ...baseOptions, level: 'info' }, wsDest);
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
