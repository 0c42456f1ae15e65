// The redis engine's two connections: `command` for every script and short command,
// `reader` (a duplicate) for the reader's blocking XREADGROUP. Both reconnect on their
// own (ioredis retry strategy, capped backoff); an outage is logged once when it
// starts and once when it ends, not on every retry.
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { safeRedisUrl } from './keys.js';

/** Reconnect backoff: 100 ms, 200 ms, ... capped at 2 s. */
const retryStrategy = (times: number): number => Math.min(times * 100, 2000);

export interface RedisConnections {
  readonly command: Redis;
  readonly reader: Redis;
  /** Resolve once both are connected; reject (clearly) after `timeoutMs`. */
  waitReady(timeoutMs: number): Promise<void>;
  /** QUIT both (bounded), then drop them. */
  close(): Promise<void>;
}

export function openRedis(url: string, logger: Logger, commandTimeoutMs: number): RedisConnections {
  const where = safeRedisUrl(url);
  const base: RedisOptions = {
    retryStrategy,
    // A command whose answer was lost with its connection may have run: it fails at once
    // when the connection drops (enqueue: BACKEND_UNAVAILABLE, the outcome unknown to the
    // client) instead of being sent again after the reconnect. Our scripts are not
    // idempotent — an enqueue resent is a second copy of the message under the same id,
    // delivered again at attempt 1 once the first was settled — and whatever else fails
    // is recovered: an unsettled delivery is reclaimed after its ack timeout, attempt + 1.
    // Commands issued while disconnected (enqueue and stats refuse at once, engine) wait
    // for the reconnect; a failed reconnect attempt fails them, as does commandTimeoutMs.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: commandTimeoutMs,
    connectionName: 'conduit-command',
  };
  const command = new Redis(url, base);
  const reader = command.duplicate({
    // A blocking read must not time out client-side, and must fail (not be replayed, as
    // above) when its connection drops: the reader loop decides what to read next.
    commandTimeout: undefined,
    enableOfflineQueue: false,
    connectionName: 'conduit-reader',
  });
  let closing = false;
  for (const [name, conn] of [
    ['command', command],
    ['reader', reader],
  ] as const) {
    let down = false;
    conn.on('error', (err: Error & { code?: string }) => {
      if (down || closing) return;
      down = true;
      logger.error(
        { err, redis: where, connection: name },
        `redis connection failed (${err.code ?? err.message}); retrying`,
      );
    });
    conn.on('close', () => {
      if (down || closing) return;
      down = true;
      logger.error({ redis: where, connection: name }, 'redis connection lost; reconnecting');
    });
    conn.on('ready', () => {
      if (!down) return;
      down = false;
      logger.info({ redis: where, connection: name }, 'redis connection restored');
    });
  }

  const ready = (conn: Redis, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      if (conn.status === 'ready') return resolve();
      const timer = setTimeout(() => {
        conn.off('ready', onReady);
        reject(
          new Error(
            `cannot reach Redis at ${where} within ${timeoutMs} ms (CONDUIT_REDIS_URL, CONDUIT_REDIS_CONNECT_TIMEOUT_MS)`,
          ),
        );
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      conn.once('ready', onReady);
    });

  return {
    command,
    reader,
    async waitReady(timeoutMs) {
      await Promise.all([ready(command, timeoutMs), ready(reader, timeoutMs)]);
    },
    async close() {
      closing = true;
      await Promise.all(
        [command, reader].map(async (conn) => {
          if (conn.status !== 'ready') {
            conn.disconnect();
            return;
          }
          const t = setTimeout(() => conn.disconnect(), 2000);
          try {
            await conn.quit();
          } catch {
            conn.disconnect();
          } finally {
            clearTimeout(t);
          }
        }),
      );
    },
  };
}
