// A request log line with every field the gateway writes, for tests of the log itself.
import type { RequestLine } from '../../src/gateway/observability/request-line.js';

/** A GET / answered 200 from ::1, with `overrides` on top. */
export function requestLineOf(overrides: Partial<RequestLine>): RequestLine {
  return {
    reqId: 'h-0',
    ip: '::1',
    tenant: '-',
    method: 'GET',
    path: '/',
    route: '/',
    status: 200,
    durMs: 1,
    bytesIn: 0,
    bytesOut: 0,
    ...overrides,
  };
}
