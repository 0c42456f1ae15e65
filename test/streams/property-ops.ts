// The vocabulary of the property suite (engines.property.test.ts): the random
// operations, one run's spec, the engine a run drives, the tally of what the runs
// exercised, and two expectations the driver (property-driver.ts) checks with.
import type { Consumer, StreamMessage, StreamsEngine } from '../../src/gateway/streams/index.js';
import { ModelViolation, type ReturnOrder } from './model.js';

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
  /** Consumer c's next delivery cannot be framed: its sink throws UndeliverableError (poison.ts). */
  | { op: 'poison'; c: number }
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
  poisoned: number;
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
  poisoned: 0,
});

/** The delay a nack must wait (DESIGN: "bounded"): an integer in [0, max]; not a finite number is none. */
export function expectedDelay(delayMs: number, maxMs: number): number {
  if (!Number.isFinite(delayMs) || delayMs < 1) return 0;
  return Math.min(Math.floor(delayMs), maxMs);
}

/**
 * `got` are exactly `ids` from `stream`, with these attempts (default: all first
 * deliveries), in order — or, unless `ordered`, with redeliveries in any order (first
 * deliveries still in order).
 */
export function expectIds(
  what: string,
  got: StreamMessage[],
  ids: string[],
  stream: string,
  attempts?: number[],
  ordered = true,
): void {
  const attemptOf = new Map(ids.map((id, i) => [id, attempts?.[i] ?? 1]));
  const key = (list: string[]) => JSON.stringify(ordered ? list : [...list].sort());
  const firsts = (list: string[]) => JSON.stringify(list.filter((id) => attemptOf.get(id) === 1));
  const seen = got.map((m) => m.id);
  if (key(seen) !== key(ids) || firsts(seen) !== firsts(ids)) {
    throw new ModelViolation(`${what}: engine ${JSON.stringify(seen)}, model ${JSON.stringify(ids)}`);
  }
  for (const m of got) {
    const attempt = attemptOf.get(m.id);
    if (m.stream !== stream || m.attempt !== attempt) {
      throw new ModelViolation(
        `${what}: ${m.id} from ${m.stream} attempt ${m.attempt}, expected ${stream} attempt ${attempt}`,
      );
    }
  }
}
