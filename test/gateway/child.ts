// The gateway as a child process (`conduit serve` through tsx, no build needed): start
// it on port 0 with its logs in `dir`, wait for its ready message, read its output.
// Every child started here is SIGKILLed after each test if it is still running.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const CLI = ['--import', 'tsx', 'src/gateway/cli.ts'];

export interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  messages: unknown[];
  /** The exit code, once stdout and stderr have ended too: their text is complete when it resolves. */
  exited: Promise<number | null>;
  /** The same moment as `exited`, without the code. */
  closed: Promise<void>;
}

export interface ReadyMessage {
  type: string;
  httpUrl: string;
  wsUrl: string;
  pid: number;
}

/** A starter for one test file; `dir()` is where the children's logs and blobs go. */
export function childGateways(dir: () => string) {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  function start(env: Record<string, string>, args: string[] = [], nodeFlags: readonly string[] = []): Started {
    const child = spawn(process.execPath, [...nodeFlags, ...CLI, ...args], {
      env: {
        ...process.env,
        CONDUIT_HTTP_PORT: '0',
        CONDUIT_WS_PORT: '0',
        CONDUIT_HTTP_LOG: join(dir(), 'http.jsonl'),
        CONDUIT_WS_LOG: join(dir(), 'ws.jsonl'),
        CONDUIT_BLOB_LOCAL_DIR: join(dir(), 'blobs'),
        CONDUIT_LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    children.push(child);
    let out = '';
    let err = '';
    const messages: unknown[] = [];
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('message', (m) => messages.push(m));
    // 'close', not 'exit': 'exit' can come before the last of stdout/stderr has been read.
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const closed = exited.then(() => undefined);
    return { child, stdout: () => out, stderr: () => err, messages, exited, closed };
  }

  function ready(s: Started): Promise<ReadyMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready message; stderr: ${s.stderr()}`)), 20_000);
      s.child.on('message', (m: { type?: string }) => {
        if (m.type === 'conduit:ready') {
          clearTimeout(timer);
          resolve(m as ReadyMessage);
        }
      });
      s.exited.then((code) => reject(new Error(`exited ${code}: ${s.stderr()}`)));
    });
  }

  return { start, ready };
}
