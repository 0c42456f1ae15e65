// The redis engine (and ioredis) is loaded only when CONDUIT_STREAMS_BACKEND=redis: a
// gateway on the memory backend must not carry it (resident memory budget). This file
// runs in its own fork (vitest forks pool), so nothing else loaded ioredis before.
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { envDefaults } from '../../src/gateway/config/env.js';
import { createStreamsEngine } from '../../src/gateway/streams/index.js';
import { gatewaysClosedAfterEach } from '../support/gateway.js';

const loadedIoredis = () =>
  Object.keys(createRequire(import.meta.url).cache).filter((p) => /[/\\]node_modules[/\\]ioredis[/\\]/.test(p));

describe('redis backend loading', () => {
  const start = gatewaysClosedAfterEach();

  it('a gateway on the memory backend does not load ioredis; the redis backend loads it on demand', async () => {
    const g = await start();
    expect(g.gw.ctx.streams.totals().streams).toBe(0);
    expect(loadedIoredis()).toEqual([]);

    const e = await createStreamsEngine({
      env: envDefaults({
        CONDUIT_STREAMS_BACKEND: 'redis',
        CONDUIT_REDIS_URL: join(tmpdir(), `conduit-no-redis-${process.pid}.sock`),
        CONDUIT_REDIS_CONNECT_TIMEOUT_MS: 100,
      }),
      policy: () => ({ maxAttempts: 1, ackTimeoutMs: 100, maxDepth: 1 }),
      logger: pino({ level: 'silent' }),
    });
    try {
      // The check above could fail: the same probe sees ioredis once the redis engine exists.
      expect(loadedIoredis().length).toBeGreaterThan(0);
    } finally {
      await e.close();
    }
  });
});
