// Property suite: random sequences of subscribe / credit / enqueue / ack / nack(delay) /
// stray settles / ack timeout / disconnect / pause / a dying transport / an unframeable
// message / drain, run against the memory and the redis engine and, step by step,
// against the reference model (model.ts; the driver is property-driver.ts, the
// operations property-ops.ts). Checked on every step: never beyond credit, the
// in-flight cap, FIFO of first deliveries, redelivery with the same id and attempt + 1,
// NAME.dlq after maxAttempts (at once for an unframeable message), no id in flight
// twice, settle answers, maxDepth (STREAM_FULL with retryAfterS); at the end
// (everything acked, or after a drain, read back): nothing lost.
//
// Seeded. Every run prints its seed in the test name; a failure prints fast-check's
// seed, path and the shrunk counterexample. Re-run one:
//   CONDUIT_PROPERTY_SEED=<seed> npx vitest run test/streams/engines.property.test.ts
//   (add CONDUIT_PROPERTY_PATH=<path> to replay just the shrunk case)
// CONDUIT_PROPERTY_RUNS sets the number of sequences per engine (default 1000).
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { StreamPolicy } from '../../src/gateway/config/resolved.js';
import type { CreditConsumer } from '../../src/gateway/streams/credit-consumer.js';
import {
  MemoryStreamsEngine,
  type Consumer,
  type StreamMessage,
  type TimerHeap,
} from '../../src/gateway/streams/index.js';
import { RedisStreamsEngine, streamKeys } from '../../src/gateway/streams/redis/index.js';
import type { TimerEntry } from '../../src/gateway/streams/timer-heap.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { Redis } from 'ioredis';
import { runSequence } from './property-driver.js';
import { type EngineBackend, newTally, type Op, type RunSpec, TENANT } from './property-ops.js';

const seed = Number.parseInt(process.env.CONDUIT_PROPERTY_SEED ?? '', 10);
const SEED = Number.isSafeInteger(seed) ? seed : (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) | 0;
const RUNS = Number.parseInt(process.env.CONDUIT_PROPERTY_RUNS ?? '', 10) || 1000;
const PATH = process.env.CONDUIT_PROPERTY_PATH || undefined;
/** Small, so real nack delays cost little; anything above is clamped to it. */
const NACK_MAX_DELAY_MS = 3;
const logger = pino({ level: 'silent' });

// ---- the operations ---------------------------------------------------------------

const slot = fc.nat({ max: 7 });
const delayMs = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.integer({ min: -5, max: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1e9, 1e12, 2.7, 0.4) },
);
// Weighted so that a typical sequence delivers, redelivers and dead-letters a few
// messages, fills the stream now and then, and about one in four ends in a drain.
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant('subscribe' as const), maxInflight: fc.integer({ min: 1, max: 4 }) }),
  },
  {
    weight: 12,
    arbitrary: fc.record({ op: fc.constant('credit' as const), c: slot, n: fc.integer({ min: 1, max: 6 }) }),
  },
  { weight: 15, arbitrary: fc.constant({ op: 'enqueue' as const }) },
  { weight: 10, arbitrary: fc.record({ op: fc.constant('ack' as const), c: slot, k: slot }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('nack' as const), c: slot, k: slot, delayMs }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('stray' as const), c: slot, k: slot, nack: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('timeout' as const), c: slot, k: slot }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('disconnect' as const), c: slot }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('pause' as const), c: slot, paused: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('breakSink' as const), c: slot }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('poison' as const), c: slot }) },
  { weight: 1, arbitrary: fc.constant({ op: 'drain' as const }) },
);
const run: fc.Arbitrary<RunSpec> = fc.record({
  maxAttempts: fc.integer({ min: 1, max: 4 }),
  maxDepth: fc.integer({ min: 2, max: 12 }),
  // Every sequence starts with a subscriber, so the first operations are not wasted.
  ops: fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.array(op, { minLength: 8, maxLength: 40 }))
    .map(([maxInflight, rest]): Op[] => [{ op: 'subscribe', maxInflight }, ...rest]),
});

// ---- the engines ------------------------------------------------------------------

/** Both engines' consumers keep their unsettled deliveries, each with its ack-timeout entry. */
type TimedConsumer = CreditConsumer<{ timer: TimerEntry | undefined }, never>;

/** Fire the ack timeout the delivery armed, now (the engine's own timer entry and callback). */
function expireNow(timers: TimerHeap, consumer: Consumer, id: string): void {
  const timer = (consumer as unknown as TimedConsumer).held.get(id)?.timer;
  if (!timer) throw new Error(`no ack timer for ${id}`);
  timers.cancel(timer);
  timer.fire();
}

const policyOf = (spec: { maxAttempts: number; maxDepth: number }): StreamPolicy => ({
  maxAttempts: spec.maxAttempts,
  maxDepth: spec.maxDepth,
  ackTimeoutMs: 600_000, // timeouts are fired by the sequence, never by the clock
});

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));
const ms = (n: number) => new Promise<void>((resolve) => setTimeout(resolve, n));

function memoryBackend(): EngineBackend {
  return {
    name: 'memory',
    order: 'returns-first',
    strictReturns: true,
    batchedReads: false,
    settleTimeoutMs: 500, // synchronous but for nack delays: anything slower is a missing delivery
    nackMaxDelayMs: NACK_MAX_DELAY_MS,
    async open(spec) {
      const policy = policyOf(spec);
      const engine = new MemoryStreamsEngine({ policy: () => policy, logger, nackMaxDelayMs: NACK_MAX_DELAY_MS });
      return {
        engine,
        stream: 'orders',
        expire: (consumer, id) => expireNow(engine.timers, consumer, id),
        delayed: async () => engine.internals().delayed,
        tick: macrotask,
        close: () => engine.close(),
      };
    },
  };
}

function redisBackend(server: () => RedisServer, admin: () => Redis): EngineBackend {
  let n = 0;
  const open = (policy: StreamPolicy) => {
    const engine = new RedisStreamsEngine({
      url: server().url,
      policy: () => policy,
      logger,
      nackMaxDelayMs: NACK_MAX_DELAY_MS,
      reclaimGraceMs: 100, // entries parked by a read race go back after 50 ms
    });
    return engine.ready().then(() => engine);
  };
  return {
    name: 'redis',
    order: 'returns-at-tail',
    strictReturns: false,
    batchedReads: true,
    settleTimeoutMs: 2000, // a parked entry goes back after 50 ms; a read takes a millisecond
    nackMaxDelayMs: NACK_MAX_DELAY_MS,
    async open(spec) {
      const policy = policyOf(spec);
      const engine = await open(policy);
      const stream = `orders-${++n}`;
      return {
        engine,
        stream,
        expire: (consumer, id) => expireNow(engine.timers, consumer, id),
        delayed: () => admin().zcard(streamKeys(TENANT, stream).delayed),
        tick: () => ms(1),
        // Durable: another engine on the same Redis finds what the drained one left.
        async readBack(expect) {
          const other = await open(policy);
          try {
            const read = async (name: string, count: number) => {
              const got: StreamMessage[] = [];
              const c = other.subscribe(TENANT, name, { deliver: (m) => void got.push(m) }, { maxInflight: 10_000 });
              c.grant(10_000);
              for (let t = 0; got.length < count && t < 5000; t++) await ms(1);
              for (const m of got) c.ack(m.id);
              c.close();
              return got;
            };
            return { main: await read(stream, expect.main), dlq: await read(`${stream}.dlq`, expect.dlq) };
          } finally {
            await other.close();
          }
        },
        close: () => engine.close(),
      };
    },
  };
}

// ---- the suite ----------------------------------------------------------------------

function property(backend: EngineBackend): () => Promise<void> {
  return async () => {
    const started = Date.now();
    const tally = newTally();
    await fc.assert(
      fc.asyncProperty(run, (spec) => runSequence(backend, spec, tally)),
      { seed: SEED, path: PATH, numRuns: RUNS, endOnFailure: PATH !== undefined },
    );
    console.log(
      `[property] ${backend.name}: ${RUNS} sequences in ${Date.now() - started} ms (seed ${SEED}); exercised: ${JSON.stringify(tally)}`,
    );
  };
}

describe('streams engines against the reference model (property)', () => {
  it(`memory: ${RUNS} random sequences agree with the model (seed ${SEED})`, property(memoryBackend()), 300_000);

  describe('redis', () => {
    let server: RedisServer | undefined;
    let admin: Redis | undefined;
    beforeAll(async () => {
      server = await startRedisServer();
      admin = new Redis(server.url);
    });
    afterAll(async () => {
      admin?.disconnect();
      await server?.stop();
    });
    it(
      `redis: ${RUNS} random sequences agree with the model (seed ${SEED})`,
      property(
        redisBackend(
          () => server!,
          () => admin!,
        ),
      ),
      600_000,
    );
  });
});
