// Public entry of the streams package: the engine factory and the contract types.
import type { Logger } from 'pino';
import type { EnvSettings } from '../config/env.js';
import type { StreamPolicy } from '../config/resolved.js';
import { MemoryStreamsEngine } from './memory/engine.js';
import type { StreamsEngine } from './types.js';

export interface StreamsEngineDeps {
  env: EnvSettings;
  /** Current policy for a stream (re-read on every use, so reloads take effect). */
  policy: (tenant: string, stream: string) => StreamPolicy;
  logger: Logger;
  /** Reserved for backends that register their own metrics; the memory engine reports through totals(). */
  metrics?: unknown;
}

/**
 * Build the engine selected by CONDUIT_STREAMS_BACKEND. The redis engine (and ioredis)
 * is loaded only when selected, so a gateway on the memory backend never pays its memory.
 */
export async function createStreamsEngine(deps: StreamsEngineDeps): Promise<StreamsEngine> {
  switch (deps.env.CONDUIT_STREAMS_BACKEND) {
    case 'memory':
      return new MemoryStreamsEngine({
        policy: deps.policy,
        logger: deps.logger,
        nackMaxDelayMs: deps.env.CONDUIT_NACK_MAX_DELAY_MS,
      });
    case 'redis': {
      const { RedisStreamsEngine } = await import('./redis/index.js');
      // Connects in the background; the app factory awaits ready() before listening.
      return new RedisStreamsEngine({
        url: deps.env.CONDUIT_REDIS_URL,
        policy: deps.policy,
        logger: deps.logger,
        nackMaxDelayMs: deps.env.CONDUIT_NACK_MAX_DELAY_MS,
        connectTimeoutMs: deps.env.CONDUIT_REDIS_CONNECT_TIMEOUT_MS,
      });
    }
    default:
      throw new Error(`unknown CONDUIT_STREAMS_BACKEND: ${String(deps.env.CONDUIT_STREAMS_BACKEND)}`);
  }
}

export {
  MemoryStreamsEngine,
  IDLE_STREAM_TTL_MS,
  MAX_IDLE_STREAMS,
  type EngineInternals,
  type MemoryEngineOptions,
} from './memory/engine.js';
// The redis backend is loaded on demand (ioredis and the engine cost resident memory on
// every gateway otherwise): import './redis/index.js' directly for RedisStreamsEngine or streamKeys.
export type { RedisStreamsEngine, RedisEngineOptions, StreamKeys } from './redis/index.js';
export {
  clampNackDelay,
  DEFAULT_RETRY_AFTER_S,
  DLQ_SUFFIX,
  dlqNameOf,
  isDlqName,
  sinkFailed,
  streamFullError,
  type SinkFailureContext,
} from './rules.js';
export { TimerHeap, type TimerEntry } from './timer-heap.js';
export { Fifo } from './fifo.js';
export { createIdGenerator, type IdGenerator } from './ids.js';
export type {
  Consumer,
  DeliverySink,
  EnqueueResult,
  Envelope,
  SettleResult,
  StreamMessage,
  StreamStats,
  StreamTotals,
  StreamTotalsExtra,
  StreamsEngine,
  SubscribeOptions,
} from './types.js';
