// One local subscriber's handle on a Redis-backed stream. Credit, pause and the set of
// unsettled deliveries live here (in this gateway); settling and returning messages is
// the stream's (LocalStream), which talks to Redis through its engine.
import { CreditConsumer } from '../credit-consumer.js';
import type { TimerEntry } from '../timer-heap.js';
import type { StreamMessage } from '../types.js';
import type { LocalStream } from './local-stream.js';

/** One unsettled delivery held by a consumer. */
export interface HeldDelivery {
  /** The Redis entry id (XACK target); a second entry of the same message takes over (LocalStream.rebind). */
  entryId: string;
  readonly message: StreamMessage;
  timer: TimerEntry | undefined;
}

/** One local subscriber's handle: the shared consumer state and calls (credit-consumer.ts). */
export class RedisConsumer extends CreditConsumer<HeldDelivery, LocalStream> {}
