import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertEnvelopeDepth, jsonDepth } from '../../src/gateway/streams/envelope-depth.js';

/** The depth the plain recursive way (for values shallow enough to recurse). */
const recursiveDepth = (v: unknown): number =>
  v === null || typeof v !== 'object'
    ? 0
    : 1 + Math.max(0, ...(Array.isArray(v) ? v : Object.values(v)).map(recursiveDepth));

describe('jsonDepth', () => {
  it('counts levels: scalars 0, empty containers 1, the deepest branch wins', () => {
    expect([null, 1, 'x', true].map((v) => jsonDepth(v, 64))).toEqual([0, 0, 0, 0]);
    expect(jsonDepth([], 64)).toBe(1);
    expect(jsonDepth({}, 64)).toBe(1);
    expect(jsonDepth({ a: [1, { b: [[]] }], c: 2 }, 64)).toBe(5);
  });

  it('agrees with the recursive definition on any JSON value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), (v) => {
        expect(jsonDepth(v, 1000)).toBe(recursiveDepth(v));
      }),
    );
  });

  it('walks a value nested 100,000 deep without overflowing, and stops past the limit', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(jsonDepth(deep, 64)).toBe(65);
    expect(jsonDepth(deep, 200_000)).toBe(100_000);
  });

  it('assertEnvelopeDepth: at the limit passes, one level deeper is ENVELOPE_TOO_DEEP', () => {
    const nest = (n: number): unknown => (n === 0 ? 1 : [nest(n - 1)]);
    expect(() => assertEnvelopeDepth(nest(64), 64)).not.toThrow();
    expect(() => assertEnvelopeDepth(nest(65), 64)).toThrow(
      expect.objectContaining({ code: 'ENVELOPE_TOO_DEEP', status: 400 }),
    );
  });
});
