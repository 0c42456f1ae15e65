import { describe, expect, it } from 'vitest';
import { deliverFrame, errorFrame, parseClientFrame, subscribedFrame } from '../../src/gateway/ws/index.js';
import { GatewayError } from '../../src/gateway/errors.js';

const parse = (text: string) => {
  const r = parseClientFrame(text, 100);
  return r.ok ? r.frame : { code: r.error.code, closeCode: r.error.closeCode };
};

describe('parseClientFrame', () => {
  it('accepts the three operations', () => {
    expect(parse('{"credit":5}')).toEqual({ op: 'credit', n: 5 });
    expect(parse('{"credit":100}')).toEqual({ op: 'credit', n: 100 });
    expect(parse('{"ack":"a-1"}')).toEqual({ op: 'ack', id: 'a-1' });
    expect(parse('{"nack":"a-1"}')).toEqual({ op: 'nack', id: 'a-1', delayMs: 0 });
    expect(parse('{"nack":"a-1","delayMs":250.7}')).toEqual({ op: 'nack', id: 'a-1', delayMs: 250 });
    expect(parse('{"credit":1,"note":"extra keys are ignored"}')).toEqual({ op: 'credit', n: 1 });
  });

  it('maps problems to catalogue codes (closing ones carry their close code)', () => {
    expect(parse('{"credit":')).toEqual({ code: 'INVALID_JSON', closeCode: 1007 });
    expect(parse('[1]')).toEqual({ code: 'UNKNOWN_OP', closeCode: 1003 });
    expect(parse('"credit"')).toEqual({ code: 'UNKNOWN_OP', closeCode: 1003 });
    expect(parse('{"subscribe":"x"}')).toEqual({ code: 'UNKNOWN_OP', closeCode: 1003 });
    expect(parse('{"ack":"x","credit":1}')).toEqual({ code: 'UNKNOWN_OP', closeCode: 1003 });
    for (const bad of ['0', '-3', '1.5', '"2"', 'null', '101', 'true']) {
      expect(parse(`{"credit":${bad}}`)).toEqual({ code: 'INVALID_CREDIT', closeCode: undefined });
    }
    expect(parse('{"ack":7}')).toEqual({ code: 'UNKNOWN_DELIVERY', closeCode: undefined });
    expect(parse('{"ack":""}')).toEqual({ code: 'UNKNOWN_DELIVERY', closeCode: undefined });
    expect(parse('{"nack":"x","delayMs":-1}')).toEqual({ code: 'VALIDATION_FAILED', closeCode: undefined });
    expect(parse('{"nack":"x","delayMs":"soon"}')).toEqual({ code: 'VALIDATION_FAILED', closeCode: undefined });
  });
});

describe('server frames', () => {
  it('deliverFrame is byte-identical to JSON.stringify of the documented shape', () => {
    const samples = [
      { id: 'x"1', stream: 'a/b', envelope: { deep: ['ü', 1, null] }, attempt: 2, enqueuedAt: 1_700_000_000_123 },
      { id: 'y', stream: 's', envelope: 'text', attempt: 1, enqueuedAt: 1 },
      { id: 'z', stream: 's', envelope: undefined, attempt: 1, enqueuedAt: 1 },
    ];
    for (const m of samples) {
      expect(deliverFrame(m)).toBe(JSON.stringify({ deliver: m }));
      expect(JSON.parse(deliverFrame(m))).toEqual(JSON.parse(JSON.stringify({ deliver: m })));
    }
  });

  it('subscribed and error frames', () => {
    expect(JSON.parse(subscribedFrame('s'))).toEqual({ subscribed: { stream: 's', credit: 0 } });
    expect(JSON.parse(errorFrame(new GatewayError('INVALID_CREDIT', 'nope')))).toEqual({
      error: { code: 'INVALID_CREDIT', message: 'nope' },
    });
  });
});
