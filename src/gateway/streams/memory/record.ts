// The engine's private view of one message and of the engine services a stream uses.
import type { Logger } from 'pino';
import type { PoisonReason } from '../poison.js';
import type { DeliveryCounters } from '../counters.js';
import type { StreamPolicy } from '../../config/resolved.js';
import type { Envelope, StreamMessage } from '../types.js';
import type { TimerEntry, TimerHeap } from '../timer-heap.js';
import type { MemoryConsumer } from './consumer.js';
import type { MemoryStream } from './stream.js';

export interface MessageRecord {
  readonly id: string;
  readonly envelope: Envelope;
  readonly enqueuedAt: number;
  /** Deliveries so far (the next delivery is attempt + 1). */
  attempt: number;
  /** The consumer holding it while in flight. */
  holder: MemoryConsumer | undefined;
  /** Ack-timeout entry while in flight; delay entry while nack-delayed. */
  timer: TimerEntry | undefined;
  /** On a dead-letter stream: why it was dead-lettered. */
  deadLetterReason?: string;
}

export type ReleaseReason = 'nack' | 'timeout' | 'disconnect';

/** Engine-wide counters, updated by streams as things happen. */
export interface EngineCounters extends DeliveryCounters {
  streamsEvicted: number;
  depth: number;
}

/** What a stream needs from its engine. */
export interface StreamHost {
  readonly timers: TimerHeap;
  readonly logger: Logger;
  readonly counters: EngineCounters;
  readonly nackMaxDelayMs: number;
  /** True once delivery stopped for good (drain/close). */
  readonly stopped: boolean;
  policy(tenant: string, stream: string): StreamPolicy;
  /** Move a message that used its last attempt to `NAME.dlq`. */
  deadLetter(from: MemoryStream, record: MessageRecord, reason: ReleaseReason | PoisonReason): void;
  /** Continue a long pump on a later tick (fairness across streams). */
  schedulePump(stream: MemoryStream): void;
  /** The stream may have just become idle (nothing waiting, delayed or in flight, no consumers). */
  streamMayBeIdle(stream: MemoryStream): void;
}

export function toMessage(stream: string, r: MessageRecord): StreamMessage {
  return { id: r.id, stream, envelope: r.envelope, attempt: r.attempt, enqueuedAt: r.enqueuedAt };
}
