// The one rule for a poison message (a message that can never be delivered, e.g. an
// envelope that cannot be framed): a sink that cannot deliver a message because of the
// message itself throws UndeliverableError. Both engines then, in the same way:
//  - dead-letter the message at once to NAME.dlq with the error's reason (no more attempts:
//    it would fail the same way for every consumer and wedge the stream);
//  - give the consumer its credit back and keep it subscribed (the transport is fine);
//  - do not count it as delivered; count it as dead-lettered; log it once (the engine's
//    'message dead-lettered' line, which names ids, never tokens).
// On a .dlq stream (which never dead-letters) the message is held back for the engine's
// maximum nack delay instead, so it cannot spin or block the messages behind it.
// Any other throw from a sink still means a dead transport: the consumer is closed.

/** Why a message went to NAME.dlq without using its attempts. */
export type PoisonReason = 'unframeable';

export class UndeliverableError extends Error {
  constructor(
    readonly reason: PoisonReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UndeliverableError';
  }
}

/** The poison reason of a sink failure, or undefined when the transport failed. */
export function poisonReason(err: unknown): PoisonReason | undefined {
  return err instanceof UndeliverableError ? err.reason : undefined;
}
