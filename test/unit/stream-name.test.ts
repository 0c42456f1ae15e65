import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../../src/gateway/errors.js';
import { isValidStreamName, scopeStreamName } from '../../src/gateway/plugins/stream-name.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as GatewayError).code;
  }
  return 'none';
};

describe('stream names', () => {
  it('accepts 1–200 of letters, digits and . _ - / :', () => {
    for (const n of ['a', 'orders', 'A.b_c-d/e:f', '0', 'x'.repeat(200), 'orders.dlq'])
      expect(isValidStreamName(n)).toBe(true);
    for (const n of ['', 'x'.repeat(201), 'a b', 'ä', 'a*', 'a?b', 'a\nb', 5, null, undefined])
      expect(isValidStreamName(n)).toBe(false);
  });

  it('scopes plain names to the tenant unchanged', () => {
    expect(scopeStreamName('acme', 'orders')).toBe('orders');
    expect(scopeStreamName('acme', 'a:b/c')).toBe('a:b/c');
  });

  it("resolves the own tenant-qualified name and forbids another tenant's", () => {
    expect(scopeStreamName('acme', 'tenant:acme/orders')).toBe('orders');
    expect(scopeStreamName('acme', 'tenant:acme/a/b')).toBe('a/b');
    expect(codeOf(() => scopeStreamName('globex', 'tenant:acme/orders'))).toBe('FORBIDDEN');
  });

  it('rejects malformed names with INVALID_STREAM_NAME', () => {
    for (const n of ['', 'a b', 'tenant:', 'tenant:acme', 'tenant:acme/', 'tenant:/x', 'tenant:ac.me/x', 42]) {
      expect(codeOf(() => scopeStreamName('acme', n))).toBe('INVALID_STREAM_NAME');
    }
  });
});
