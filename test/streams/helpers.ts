// Test helpers for the streams engine: an engine with short timeouts and a recording sink.
import pino from 'pino';
import { envDefaults } from '../../src/gateway/config/env.js';
import type { StreamPolicy } from '../../src/gateway/config/resolved.js';
import { createStreamsEngine } from '../../src/gateway/streams/index.js';
import type { DeliverySink, StreamMessage, StreamsEngine } from '../../src/gateway/streams/index.js';

export const basePolicy: StreamPolicy = { maxAttempts: 3, ackTimeoutMs: 10_000, maxDepth: 1000 };

export function makeEngine(
  policy: Partial<StreamPolicy> | ((tenant: string, stream: string) => StreamPolicy) = {},
  env: Parameters<typeof envDefaults>[0] = {},
): Promise<StreamsEngine> {
  const fn = typeof policy === 'function' ? policy : () => ({ ...basePolicy, ...policy });
  return createStreamsEngine({ env: envDefaults(env), policy: fn, logger: pino({ level: 'silent' }) });
}

export interface RecordingSink extends DeliverySink {
  readonly got: StreamMessage[];
  /** Resolves once `n` deliveries in total have arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<StreamMessage[]>;
}

export function recordingSink(): RecordingSink {
  const got: StreamMessage[] = [];
  const waiters: Array<{ n: number; resolve: (v: StreamMessage[]) => void }> = [];
  return {
    got,
    deliver(m) {
      got.push(m);
      for (const w of [...waiters]) {
        if (got.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(got);
        }
      }
    },
    waitFor(n, timeoutMs = 2000) {
      if (got.length >= n) return Promise.resolve(got);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`timed out waiting for ${n} deliveries (got ${got.length})`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: (v) => {
            clearTimeout(t);
            resolve(v);
          },
        });
      });
    },
  };
}
