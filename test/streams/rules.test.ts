// The rules both streams engines share (src/gateway/streams/rules.ts).
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/gateway/errors.js';
import { UndeliverableError } from '../../src/gateway/streams/poison.js';
import {
  clampNackDelay,
  DEFAULT_RETRY_AFTER_S,
  dlqNameOf,
  isDlqName,
  sinkFailed,
  streamFullError,
} from '../../src/gateway/streams/rules.js';
import { streamKeys } from '../../src/gateway/streams/redis/keys.js';

describe('streams rules', () => {
  it('clamps a nack delay to an integer in [0, max]; not finite is 0', () => {
    expect(clampNackDelay(250.9, 1000)).toBe(250);
    expect(clampNackDelay(-5, 1000)).toBe(0);
    expect(clampNackDelay(5000, 1000)).toBe(1000);
    expect(clampNackDelay(Number.NaN, 1000)).toBe(0);
    expect(clampNackDelay(Number.POSITIVE_INFINITY, 1000)).toBe(0);
    expect(clampNackDelay(10, 0)).toBe(0);
  });

  it('names the dead-letter stream NAME.dlq; redis keys use the same name', () => {
    expect(dlqNameOf('orders')).toBe('orders.dlq');
    expect(isDlqName('orders.dlq')).toBe(true);
    expect(isDlqName('orders')).toBe(false);
    expect(streamKeys('acme', 'orders').dlq).toBe(streamKeys('acme', 'orders.dlq').stream);
    expect(streamKeys('acme', 'orders.dlq').dlq).toBe(streamKeys('acme', 'orders.dlq').stream);
  });

  it('STREAM_FULL carries retryAfterS (default 1)', () => {
    const e = streamFullError('orders', 5);
    expect(e).toBeInstanceOf(GatewayError);
    expect(e).toMatchObject({ code: 'STREAM_FULL', status: 503, retryAfterS: DEFAULT_RETRY_AFTER_S });
    expect(streamFullError('orders', 5, 7).retryAfterS).toBe(7);
  });

  it('a sink failure is poison (UndeliverableError) or a dead transport that closes the consumer', () => {
    const logger = pino({ level: 'silent' });
    let closed = 0;
    const ctx = { logger, tenant: 't', stream: 's', consumer: { id: 'c1', close: () => void closed++ } };
    expect(sinkFailed(new UndeliverableError('unframeable', 'nope'), ctx)).toBe('unframeable');
    expect(closed).toBe(0);
    expect(sinkFailed(new Error('socket gone'), ctx)).toBeUndefined();
    expect(closed).toBe(1);
  });
});
