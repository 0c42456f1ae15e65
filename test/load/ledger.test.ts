import { describe, expect, it } from 'vitest';
import { DeliveryLedger } from '../../src/load/index.js';

describe('DeliveryLedger', () => {
  it('counts lost, duplicated and redelivered ids', () => {
    const ledger = new DeliveryLedger();
    for (const id of ['a', 'b', 'c', 'd']) ledger.enqueued(id);
    expect(ledger.delivered('a', 1)).toBe('first');
    expect(ledger.delivered('b', 1)).toBe('first');
    expect(ledger.delivered('b', 2)).toBe('redelivery'); // after a nack: not a duplicate
    expect(ledger.delivered('a', 1)).toBe('duplicate'); // the same first attempt twice
    expect(ledger.delivered('c', 1)).toBe('first');
    const s = ledger.summary();
    expect(s).toMatchObject({
      enqueued: 4,
      deliveredUnique: 3,
      duplicates: 1,
      lost: 1,
      lostSample: ['d'],
      redeliveries: 1,
    });
  });

  it('matches deliveries that arrive before the enqueue response', () => {
    const ledger = new DeliveryLedger();
    expect(ledger.delivered('x', 1)).toBe('unexpected');
    ledger.enqueued('x');
    expect(ledger.outstandingCount).toBe(0);
    expect(ledger.summary()).toMatchObject({ enqueued: 1, deliveredUnique: 1, lost: 0, unexpected: 0 });
  });

  it('settle() resolves as soon as the last outstanding id arrives', async () => {
    const ledger = new DeliveryLedger();
    ledger.enqueued('1');
    ledger.enqueued('2');
    const settled = ledger.settle(5000);
    ledger.delivered('1', 1);
    setImmediate(() => ledger.delivered('2', 1));
    const started = Date.now();
    await expect(settled).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(5000 / 5); // the last id settled it, not the 5 s bound
  });

  it('settle() gives up after its timeout and the rest is lost', async () => {
    const ledger = new DeliveryLedger();
    ledger.enqueued('never');
    await expect(ledger.settle(30)).resolves.toBe(false);
    expect(ledger.summary().lost).toBe(1);
  });

  it('keeps at most 20 lost ids as a sample', () => {
    const ledger = new DeliveryLedger();
    for (let i = 0; i < 50; i++) ledger.enqueued(`m${i}`);
    const s = ledger.summary();
    expect(s.lost).toBe(50);
    expect(s.lostSample).toHaveLength(20);
  });
});
