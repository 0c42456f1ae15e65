// The one rule on what an envelope may be beyond "any JSON value": how deeply it nests.
// Every delivery serialises the envelope into a frame (JSON.stringify, which recurses),
// so an envelope nested thousands deep is accepted by the JSON parser but can never be
// delivered — it would wedge its stream for every consumer. It is refused at enqueue
// instead, with 400 ENVELOPE_TOO_DEEP (CONDUIT_ENVELOPE_MAX_DEPTH, default 64 — what
// .NET's System.Text.Json allows by default; Jackson allows 1000).
//
// The walk is iterative (a deep value cannot overflow it) and stops at the first value
// beyond the limit; a scalar envelope costs one typeof.
import { GatewayError } from '../errors.js';

/** The default of CONDUIT_ENVELOPE_MAX_DEPTH. */
export const ENVELOPE_MAX_DEPTH = 64;

/**
 * The nesting depth of a parsed JSON value, counted up to `limit + 1` (a scalar is 0,
 * `[]` and `{}` are 1, `[[1]]` is 2).
 */
export function jsonDepth(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return 0;
  let deepest = 0;
  const stack: Array<{ v: object; d: number }> = [{ v: value, d: 1 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (d > deepest) {
      deepest = d;
      if (deepest > limit) return deepest;
    }
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const child of children)
      if (child !== null && typeof child === 'object') stack.push({ v: child as object, d: d + 1 });
  }
  return deepest;
}

/** Throw ENVELOPE_TOO_DEEP when `envelope` nests deeper than `maxDepth`. */
export function assertEnvelopeDepth(envelope: unknown, maxDepth: number): void {
  if (jsonDepth(envelope, maxDepth) > maxDepth) {
    throw new GatewayError(
      'ENVELOPE_TOO_DEEP',
      `the envelope nests deeper than ${maxDepth} levels (CONDUIT_ENVELOPE_MAX_DEPTH)`,
    );
  }
}
