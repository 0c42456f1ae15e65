// The vocabulary of the property suite (engines.property.test.ts): the random
// operations, one run's spec, the engine a run drives, and the tally of what the runs
// exercised. The driver that runs them is property-driver.ts.
import type { Consumer, StreamMessage, StreamsEngine } from '../../src/gateway/streams/index.js';
import type { ReturnOrder } from './model.js';

export const TENANT = 'prop';

export type Op =
  | { op: 'subscribe'; maxInflight: number }
  | { op: 'credit'; c: number; n: number }
  | { op: 'enqueue' }
  /** Settle the k-th unsettled delivery of consumer c (or, when it holds none, some other id). */
  | { op: 'ack'; c: number; k: number }
  | { op: 'nack'; c: number; k: number; delayMs: number }
  /** Settle an id consumer c does not hold (settled, another's, waiting or never seen): 'unknown'. */
  | { op: 'stray'; c: number; k: number; nack: boolean }
  | { op: 'timeout'; c: number; k: number }
  | { op: 'disconnect'; c: number }
  /** Transport backpressure on or off. */
  | { op: 'pause'; c: number; paused: boolean }
  /** The transport dies: consumer c's sink throws on its next delivery (the engine closes it). */
  | { op: 'breakSink'; c: number }
  | { op: 'drain' };

export interface RunSpec {
  maxAttempts: number;
  maxDepth: number;
  ops: Op[];
}

/** One engine under test for one run (its own stream; for memory its own engine). */
export interface EngineHandle {
  readonly engine: StreamsEngine;
  readonly stream: string;
  /** The ack timeout of `id` held by `consumer` fires now. */
  expire(consumer: Consumer, id: string): void;
  /** Nack-delayed messages of the stream not yet back on it. */
  delayed(): Promise<number>;
  /** Let the engine make progress (memory: a macrotask; redis: a millisecond). */
  tick(): Promise<void>;
  /** After a drain: read back what the stream and its dlq hold, in delivery order (durable engines only). */
  readBack?(expect: { main: number; dlq: number }): Promise<{ main: StreamMessage[]; dlq: StreamMessage[] }>;
  close(): Promise<void>;
}

export interface EngineBackend {
  readonly name: string;
  readonly order: ReturnOrder;
  /** Redeliveries in an exact order (see model.ts). */
  readonly strictReturns: boolean;
  /**
   * One read serves all local consumers (redis). A consumer whose transport dies in the
   * middle of a read leaves the rest of it parked and then at the tail, behind messages
   * enqueued after it — a documented limit (docs/streams-redis.md, "First-delivery order
   * under long backpressure") — so the dying-transport op only breaks consumers that never
   * take more than one message at a time (maxInflight 1) there.
   */
  readonly batchedReads: boolean;
  /** Longest the engine may take to do what the model expects after one operation. */
  readonly settleTimeoutMs: number;
  /** The engines' CONDUIT_NACK_MAX_DELAY_MS in these runs. */
  readonly nackMaxDelayMs: number;
  open(spec: { maxAttempts: number; maxDepth: number }): Promise<EngineHandle>;
}

/** What the runs exercised (printed by the suite, so a generator that stopped reaching a rule shows). */
export interface Tally {
  sequences: number;
  deliveries: number;
  redeliveries: number;
  deadLettered: number;
  streamFull: number;
  timeouts: number;
  delayedNacks: number;
  drains: number;
  sinkFailures: number;
}

export const newTally = (): Tally => ({
  sequences: 0,
  deliveries: 0,
  redeliveries: 0,
  deadLettered: 0,
  streamFull: 0,
  timeouts: 0,
  delayedNacks: 0,
  drains: 0,
  sinkFailures: 0,
});
