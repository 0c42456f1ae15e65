// The reference model of the property suite (model.ts) on a few hand-written cases, so
// a wrong model cannot make the engines look right.
import { describe, expect, it } from 'vitest';
import { DeliveryModel, ModelViolation, type ModelOptions } from './model.js';

const model = (o: Partial<ModelOptions> = {}) =>
  new DeliveryModel({ maxAttempts: 2, maxDepth: 10, order: 'returns-first', strictReturns: true, ...o });

describe('delivery reference model', () => {
  it('first deliveries FIFO within credit and the in-flight cap; nothing else', () => {
    const m = model();
    const c = m.subscribe(2);
    for (const id of ['a', 'b', 'c']) m.enqueue(id);
    expect(m.stable).toBe(true); // no credit yet
    m.grant(c, 5);
    expect(m.next()).toBe('a');
    expect(() => m.delivered(c, 'b', 1)).toThrow(ModelViolation);
    expect(() => m.delivered(c, 'a', 2)).toThrow(/attempt 2, expected 1/);
    m.delivered(c, 'a', 1);
    m.delivered(c, 'b', 1);
    expect(m.capacity(c)).toBe(0); // the cap of 2
    expect(() => m.delivered(c, 'c', 1)).toThrow(/without capacity/);
    expect(m.ack(c, 'a')).toBe('ok');
    expect(m.ack(c, 'a')).toBe('unknown');
    expect(m.capacity(c)).toBe(1);
  });

  it('returns keep their id and count attempts; the last allowed attempt goes to the dlq; a drain never does', () => {
    const m = model({ maxAttempts: 2 });
    const c = m.subscribe(5);
    m.grant(c, 10);
    m.enqueue('a');
    m.enqueue('b');
    m.delivered(c, 'a', 1);
    m.delivered(c, 'b', 1);
    expect(m.nack(c, 'a', false)).toBe('ok');
    expect(m.next()).toBe('a'); // returns-first
    m.delivered(c, 'a', 2);
    m.timeout(c, 'a');
    expect(m.dlq).toEqual([{ id: 'a', reason: 'timeout' }]);
    m.drain();
    expect(m.waitingIds()).toEqual(['b']);
    expect(m.messages.get('b')).toMatchObject({ attempt: 1, state: 'waiting' });
    expect(m.stable).toBe(true);
    expect(m.capacity(m.subscribe(5))).toBe(0); // nothing is delivered after a drain
  });

  it('returns-at-tail; without strictReturns a redelivery may go first, a first delivery never', () => {
    const m = model({ order: 'returns-at-tail', strictReturns: false, maxAttempts: 5 });
    const c = m.subscribe(5);
    m.grant(c, 10);
    for (const id of ['a', 'b', 'c', 'd']) m.enqueue(id);
    for (const id of ['a', 'b']) m.delivered(c, id, 1);
    m.disconnect(c);
    expect(m.waitingIds()).toEqual(['c', 'd', 'a', 'b']);
    const d = m.subscribe(5);
    m.grant(d, 10);
    expect(() => m.delivered(d, 'd', 1)).toThrow(/must go first/);
    m.delivered(d, 'b', 2); // a redelivery ahead of its turn
    m.delivered(d, 'c', 1);
    expect(m.waitingIds()).toEqual(['d', 'a']);
  });

  it('maxDepth counts waiting and delayed messages, not those in flight', () => {
    const m = model({ maxDepth: 2 });
    const c = m.subscribe(5);
    m.enqueue('a');
    m.enqueue('b');
    expect(m.canEnqueue()).toBe(false);
    m.grant(c, 1);
    m.delivered(c, 'a', 1);
    expect(m.canEnqueue()).toBe(true);
    m.nack(c, 'a', true);
    expect(m.depth).toBe(2);
    expect(m.delayedIds()).toEqual(['a']);
    expect(() => m.delivered(c, 'a', 2)).toThrow(/while delayed/);
    m.promote('a');
    expect(m.waitingIds()).toEqual(['a', 'b']);
  });
});
