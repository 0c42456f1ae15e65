// A real redis-server child for tests: its own temp directory, a unix socket (no TCP
// port, so nothing to race for), no persistence — or, with `persistent`, an append-only
// file synced on every write, so that a restart after kill() keeps every acknowledged write. Start it in beforeAll, stop it in
// afterAll — stop() kills it by pid and waits for the exit, whatever the tests did.
// When redis-server is not installed this fails loudly (install: apt-get install -y redis-server).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  /** CONDUIT_REDIS_URL for this server (its unix socket path). */
  readonly url: string;
  readonly pid: number;
  /** Kill it (SIGKILL: an abrupt outage) and wait for the exit; the socket path stays for restart(). */
  kill(): Promise<void>;
  /** Start it again on the same socket (after kill()); the data is gone unless started `persistent`. */
  restart(): Promise<void>;
  /** Stop it (SIGTERM, then SIGKILL after 3 s) and remove its directory. Safe to call twice. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export interface RedisServerOptions {
  /** appendonly yes, appendfsync always: what Redis acknowledged survives kill() and restart(). */
  persistent?: boolean;
}

async function launch(dir: string, socket: string, o: RedisServerOptions): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--unixsocket',
      socket,
      '--unixsocketperm',
      '700',
      '--save',
      '',
      '--appendonly',
      o.persistent ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`redis-server not ready within ${READY_TIMEOUT_MS} ms:\n${output}`)),
      READY_TIMEOUT_MS,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('error', (err: NodeJS.ErrnoException) =>
      fail(
        err.code === 'ENOENT'
          ? new Error(
              'redis-server is not installed: the redis backend tests need it (apt-get install -y redis-server)',
            )
          : err,
      ),
    );
    child.once('exit', (code) => fail(new Error(`redis-server exited with ${code}:\n${output}`)));
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/ready to accept connections/i.test(output)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  });
  return child;
}

export async function startRedisServer(o: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'conduit-redis-'));
  const socket = join(dir, 'redis.sock');
  let child: ChildProcess;
  try {
    child = await launch(dir, socket, o);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let stopped = false;
  return {
    url: socket,
    get pid() {
      return child.pid ?? -1;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async restart() {
      child = await launch(dir, socket, o);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited(child);
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
