// Starting and stopping a target service as a child process. How it gets ready:
// - `announce` (the Conduit gateway): the child announces its real addresses with an IPC
//   message `{type:'conduit:ready', httpUrl, wsUrl, pid}` or a stdout line
//   `conduit ready {json}`; we wait for that event (never a sleep);
// - `pattern`: a line of its stdout or stderr matches a pattern (e.g. /listening on/);
// - `http` (any other service): its URL answers HTTP (asked every 100 ms: a foreign
//   process gives no event for an open port).
// A child that exits, reports `conduit:error` or is not ready by the deadline gives one
// LoadError quoting the tail of its output. Its stdout/stderr are drained into a log file
// so a full pipe can never block it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { LoadError } from '../errors.js';
import type { LoadErrorCode } from '../errors.js';
import { fillPort } from '../target-spec.js';
import { waitForHttp } from './http-ready.js';

export const READY_LINE_PREFIX = 'conduit ready ';

export interface ChildTargetOptions {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** @default 60000 */
  readyTimeoutMs?: number;
  /** File receiving the child's stdout and stderr. */
  logFile?: string;
  /** How the child gets ready. @default { kind: 'announce' } */
  ready?: ReadyCheck;
}

/** How a started child is known to be ready; `http` and `pattern` know its URLs beforehand. */
export type ReadyCheck =
  | { kind: 'announce' }
  | { kind: 'http' /** Asked until it answers. */; probeUrl: string; httpUrl: string; wsUrl?: string }
  | { kind: 'pattern'; pattern: RegExp; httpUrl: string; wsUrl?: string };
// With `{port}` in a pattern check's URLs, the pattern's first capture group fills it.

export interface ReadyInfo {
  httpUrl: string;
  wsUrl: string;
  pid: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when SIGKILL was needed. */
  forced: boolean;
}

export interface ChildTarget {
  readonly ready: ReadyInfo;
  /**
   * The child's inspector URL when it was started with --inspect (read from its stderr):
   * resolves once the line is seen, or with undefined after `waitMs`.
   */
  inspectorUrl(waitMs?: number): Promise<string | undefined>;
  readonly child: ChildProcess;
  /** Resolves when the child exits (whoever caused it). */
  readonly exited: Promise<ExitInfo>;
  /** SIGTERM, wait up to `deadlineMs`, then SIGKILL. Idempotent. */
  stop(deadlineMs?: number): Promise<ExitInfo>;
  /** Synchronous last resort (process 'exit' handlers). */
  killNow(): void;
}

const OUTPUT_TAIL = 16 * 1024;
/** Lines of output an error quotes. */
const QUOTED_LINES = 30;
const INSPECTOR_LINE = /Debugger listening on (ws:\/\/\S+)/;

/** How long after the child's exit its stdout/stderr may take to end. */
const STDIO_GRACE_MS = 1000;

export function startChildTarget(options: ChildTargetOptions): Promise<ChildTarget> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderrTail = '';
  // The last output of both streams, interleaved as it arrived, for the errors.
  let outputTail = '';
  const keepOutput = (text: string) => {
    outputTail = (outputTail + text).slice(-OUTPUT_TAIL);
  };
  let inspectorUrl: string | undefined;
  const inspectorSeen: Array<(url: string) => void> = [];
  let log: NodeJS.WritableStream | undefined;
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    log = createWriteStream(options.logFile, { flags: 'a' });
  }
  child.stderr!.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-OUTPUT_TAIL);
    keepOutput(chunk.toString());
    // Node prints it once, at start: "Debugger listening on ws://127.0.0.1:PORT/UUID".
    if (inspectorUrl === undefined) {
      inspectorUrl = INSPECTOR_LINE.exec(stderrTail)?.[1];
      if (inspectorUrl !== undefined) for (const notify of inspectorSeen.splice(0)) notify(inspectorUrl);
    }
    log?.write(chunk);
  });
  let forced = false;
  // 'close' comes after 'exit' once the child's stdout and stderr have ended, so every line
  // it printed is in the log; the log file is flushed and closed before `exited` resolves.
  // (A grandchild holding the pipes open must not hold the stop: at most STDIO_GRACE_MS.)
  const exited = new Promise<ExitInfo>((resolve) => {
    let settled = false;
    const settle = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      const info = { code, signal, forced };
      if (log) log.end(() => resolve(info));
      else resolve(info);
    };
    child.once('exit', (code, signal) => setTimeout(() => settle(code, signal), STDIO_GRACE_MS).unref());
    child.once('close', settle);
    child.once('error', () => settle(null, null));
  });

  let stopping: Promise<ExitInfo> | undefined;
  const stop = (deadlineMs = 15_000): Promise<ExitInfo> => {
    if (stopping) return stopping;
    stopping = (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), deadlineMs)));
      const first = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (first !== 'late') return first;
      forced = true;
      child.kill('SIGKILL');
      return exited;
    })();
    return stopping;
  };
  const killNow = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  const check: ReadyCheck = options.ready ?? { kind: 'announce' };
  const commandLine = [options.command, ...options.args].join(' ');
  return new Promise<ChildTarget>((resolve, reject) => {
    let done = false;
    // Ends the HTTP readiness probe when the child is ready, exits or times out.
    const probing = new AbortController();
    const fail = (code: LoadErrorCode, message: string) => finish({ code, message });
    const finish = (error: { code: LoadErrorCode; message: string } | undefined, ready?: ReadyInfo) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      probing.abort();
      if (error) {
        void stop(2000).then(() =>
          reject(new LoadError(error.code, error.message, lastLines(outputTail, QUOTED_LINES))),
        );
        return;
      }
      const waitInspector = (waitMs = 2000) =>
        inspectorUrl !== undefined
          ? Promise.resolve(inspectorUrl)
          : new Promise<string | undefined>((resolveUrl) => {
              const timer = setTimeout(() => resolveUrl(undefined), waitMs);
              inspectorSeen.push((url) => {
                clearTimeout(timer);
                resolveUrl(url);
              });
            });
      resolve({ ready: ready!, child, exited, stop, killNow, inspectorUrl: waitInspector });
    };
    const known = (port?: string): ReadyInfo | undefined => {
      if (check.kind === 'announce') return undefined;
      const httpUrl = fillPort(check.httpUrl, port);
      return {
        httpUrl,
        wsUrl: check.wsUrl ? fillPort(check.wsUrl, port) : httpUrl.replace(/^http/, 'ws'),
        pid: child.pid ?? 0,
      };
    };
    const waitingFor =
      check.kind === 'announce'
        ? 'report ready'
        : check.kind === 'http'
          ? `answer HTTP at ${check.probeUrl}`
          : `print a line matching ${String(check.pattern)}`;
    const timer = setTimeout(
      () => fail('TARGET_NOT_READY', `target did not ${waitingFor} within ${readyTimeoutMs} ms (${commandLine})`),
      readyTimeoutMs,
    );
    child.on('message', (msg: unknown) => {
      const m = msg as { type?: string; message?: string } & Partial<ReadyInfo>;
      if (m?.type === 'conduit:ready' && m.httpUrl && check.kind === 'announce')
        finish(undefined, toReady(m, child.pid));
      else if (m?.type === 'conduit:error')
        fail('TARGET_FAILED', `target failed to start: ${m.message ?? 'unknown error'}`);
    });
    const onLine = (line: string) => {
      if (done) return;
      const match = check.kind === 'pattern' ? check.pattern.exec(line) : null;
      if (match) finish(undefined, known(match[1]));
      else if (check.kind === 'announce' && line.startsWith(READY_LINE_PREFIX)) {
        try {
          finish(undefined, toReady(JSON.parse(line.slice(READY_LINE_PREFIX.length)), child.pid));
        } catch {
          fail('TARGET_FAILED', `unreadable ready line: ${line}`);
        }
      }
    };
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log?.write(`${line}\n`);
      keepOutput(`${line}\n`);
      onLine(line);
    });
    if (check.kind === 'pattern') createInterface({ input: child.stderr! }).on('line', onLine);
    if (check.kind === 'http') {
      waitForHttp(check.probeUrl, probing.signal).then(
        () => finish(undefined, known()),
        () => {}, // aborted: whoever aborted it settled the start
      );
    }
    child.once('error', (error) => fail('TARGET_SPAWN', `cannot start ${commandLine}: ${error.message}`));
    void exited.then((info) => {
      // Let a pending stderr chunk arrive before reporting.
      setImmediate(() =>
        fail(
          'TARGET_EXITED',
          `target exited before ready (code ${info.code}${info.signal ? `, signal ${info.signal}` : ''}): ${commandLine}`,
        ),
      );
    });
  });
}

/** The last `n` lines of `text`. */
function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

function toReady(m: Partial<ReadyInfo>, fallbackPid: number | undefined): ReadyInfo {
  if (typeof m.httpUrl !== 'string') throw new Error('ready message without httpUrl');
  return {
    httpUrl: m.httpUrl,
    wsUrl: typeof m.wsUrl === 'string' ? m.wsUrl : m.httpUrl.replace(/^http/, 'ws'),
    pid: typeof m.pid === 'number' ? m.pid : (fallbackPid ?? 0),
  };
}
