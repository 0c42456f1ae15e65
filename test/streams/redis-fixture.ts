// Shared setup of the redis engine tests: one redis-server child per file (unix socket,
// no persistence, stopped by pid), engines created on it and closed after each test, and
// a Redis client to look at what the engines left in Redis.
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { StreamPolicy } from '../../src/gateway/config/resolved.js';
import { RedisStreamsEngine, streamKeys, type RedisEngineOptions } from '../../src/gateway/streams/redis/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

export const T = 'acme';
export const opts = { maxInflight: 1000 };
export const policy: StreamPolicy = { maxAttempts: 3, ackTimeoutMs: 10_000, maxDepth: 1000 };

export interface RedisEngineFixture {
  readonly redis: RedisServer;
  readonly admin: Redis;
  /** A stream name not used before in this file. */
  fresh(prefix?: string): string;
  /** An engine on the file's Redis, ready; closed after the test. */
  engine(p?: Partial<StreamPolicy>, o?: Partial<RedisEngineOptions>): Promise<RedisStreamsEngine>;
  /** Enqueue {i} for i < count; their ids. */
  fill(e: RedisStreamsEngine, stream: string, count: number): Promise<string[]>;
  /** Entries pending in the stream's group: read by some instance and not settled. */
  pendingInRedis(stream: string): Promise<number>;
  /** Close `e` after the test too (an engine a test built itself). */
  track(e: RedisStreamsEngine): RedisStreamsEngine;
}

/** Registers the hooks; call at the top of a describe block. */
export function redisEngineFixture(): RedisEngineFixture {
  let redis: RedisServer | undefined;
  let admin: Redis | undefined;
  const engines: RedisStreamsEngine[] = [];
  let n = 0;
  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });
  return {
    get redis() {
      return redis!;
    },
    get admin() {
      return admin!;
    },
    fresh: (prefix = 's') => `${prefix}-${++n}`,
    async engine(p = {}, o = {}) {
      const e = new RedisStreamsEngine({
        url: redis!.url,
        policy: () => ({ ...policy, ...p }),
        logger: pino({ level: 'silent' }),
        nackMaxDelayMs: 5000,
        ...o,
      });
      engines.push(e);
      await e.ready();
      return e;
    },
    async fill(e, stream, count) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push((await e.enqueue(T, stream, { i })).id);
      return ids;
    },
    track(e) {
      engines.push(e);
      return e;
    },
    pendingInRedis: async (stream) =>
      Number(((await admin!.xpending(streamKeys(T, stream).stream, 'conduit')) as [number])[0]),
  };
}
