// The delivery rules both streams engines apply in the same way, written once. Each
// engine keeps its own mechanics (memory queues, Redis scripts); what a rule *decides*
// lives here, so the two cannot drift apart:
//  - the dead-letter stream of NAME is NAME.dlq, and a .dlq stream is never dead-lettered;
//  - a nack's delayMs is truncated to an integer and bounded to [0, nackMaxDelayMs]
//    (anything not finite means "no delay");
//  - a stream at its maxDepth answers STREAM_FULL with a Retry-After (`retryAfterS`);
//  - a sink that throws: UndeliverableError is the message's fault (poison.ts, the
//    engine dead-letters it); anything else is a dead transport, handled like a
//    disconnect (the consumer is closed and its unsettled deliveries return).
// test/streams/engines.property.test.ts checks both engines against one reference model
// of these rules (test/streams/model.ts).
import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';
import { type PoisonReason, poisonReason } from './poison.js';

export const DLQ_SUFFIX = '.dlq';

/** Retry-After seconds of STREAM_FULL when the engine's `retryAfterS` option is not set. */
export const DEFAULT_RETRY_AFTER_S = 1;

/** The stream is a dead-letter stream (it is never dead-lettered again). */
export function isDlqName(stream: string): boolean {
  return stream.endsWith(DLQ_SUFFIX);
}

/** Where messages of `stream` go after their last allowed attempt. */
export function dlqNameOf(stream: string): string {
  return stream + DLQ_SUFFIX;
}

/** The delay a nack actually gets: an integer in [0, maxDelayMs]; not finite → 0. */
export function clampNackDelay(delayMs: number, maxDelayMs: number): number {
  return Number.isFinite(delayMs) ? Math.min(Math.max(0, Math.trunc(delayMs)), maxDelayMs) : 0;
}

/** The answer to an enqueue on a stream at its maxDepth. */
export function streamFullError(stream: string, maxDepth: number, retryAfterS = DEFAULT_RETRY_AFTER_S): GatewayError {
  return new GatewayError('STREAM_FULL', `stream "${stream}" is at its maxDepth (${maxDepth})`, { retryAfterS });
}

/** What a stream tells sinkFailed about the failed delivery. */
export interface SinkFailureContext {
  readonly logger: Logger;
  readonly tenant: string;
  readonly stream: string;
  readonly consumer: { readonly id: string; close(): void };
}

/**
 * A sink threw while delivering. Returns the poison reason when the message itself
 * cannot be delivered (the caller dead-letters it and gives the credit back). Otherwise
 * the transport is dead: it is logged and the consumer closed, like a disconnect (its
 * unsettled deliveries, this one included, return with their attempt counted); returns
 * undefined.
 */
export function sinkFailed(err: unknown, ctx: SinkFailureContext): PoisonReason | undefined {
  const reason = poisonReason(err);
  if (reason) return reason;
  ctx.logger.warn(
    { err, tenant: ctx.tenant, stream: ctx.stream, consumer: ctx.consumer.id },
    'delivery sink failed; closing consumer',
  );
  ctx.consumer.close();
  return undefined;
}
