// The bounded delivery ledger against the exact one (test/load/fixtures/exact-ledger.ts)
// and against the counts the trace specs imply, on random traces: enqueue answered or
// not, lost, nacked and redelivered, duplicated soon or long after, foreign messages,
// messages known by id only. Plus the classifications that only the bounded ledger
// makes (a message delivered again long after it was settled).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeliveryLedger } from '../../src/load/index.js';
import { ExactLedger } from './fixtures/exact-ledger.js';
import { countSpec, emptyCounts, traceEvents } from './fixtures/delivery-trace.js';
import type { MessageSpec } from './fixtures/delivery-trace.js';

const RETAIN_MS = 1000;

const spec: fc.Arbitrary<MessageSpec> = fc.record({
  kind: fc.constantFrom('stamped', 'stamped', 'stamped', 'byId', 'foreign'),
  answered: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
  answerDelayMs: fc.integer({ min: 0, max: 50 }),
  lost: fc.constantFrom(false, false, false, false, true),
  attempts: fc.integer({ min: 1, max: 4 }),
  firstDelayMs: fc.integer({ min: 0, max: 50 }),
  gapMs: fc.integer({ min: 1, max: 2 * RETAIN_MS }),
  lastAcked: fc.constantFrom(true, true, true, false),
  dupes: fc.array(
    fc.record({ attempt: fc.integer({ min: 1, max: 4 }), delayMs: fc.integer({ min: 0, max: 4 * RETAIN_MS }) }),
    { maxLength: 2 },
  ),
});

function run(specs: MessageSpec[], spacingMs: number) {
  let now = 0;
  const ledger = new DeliveryLedger({ retainMs: RETAIN_MS, now: () => now });
  const exact = new ExactLedger();
  for (const e of traceEvents(specs, { spacingMs, retainMs: RETAIN_MS })) {
    now = e.at;
    if (e.type === 'send') expect(ledger.stamp({}).seq).toBe(e.seq);
    else if (e.type === 'enqueued') {
      ledger.enqueued(e.id, e.seq >= 0 ? e.seq : undefined);
      exact.enqueued(e.id);
    } else {
      const envelope = e.seq < 0 ? { i: 1 } : { conduitLedger: { p: ledger.producer, s: e.seq } };
      expect(ledger.delivered(e.id, e.attempt, { envelope, acked: e.acked })).toBe(exact.delivered(e.id, e.attempt));
    }
  }
  now += 10 * RETAIN_MS; // the end of the run: everything expired that can be
  return { bounded: ledger.summary(), exact: exact.summary(), footprint: ledger.footprint };
}

describe('DeliveryLedger (bounded) against the exact ledger', () => {
  it('gives the same kind for every delivery and the same counts (property)', () => {
    fc.assert(
      fc.property(
        fc.array(spec, { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 40 }),
        (specs, spacingMs) => {
          const { bounded, exact, footprint } = run(specs, spacingMs);
          const { lostSample, lostIds, ...exactCounts } = exact;
          const { lostSample: sample, ...counts } = bounded;
          expect(counts).toEqual({ ...exactCounts });
          const expected = emptyCounts();
          for (const s of specs) countSpec(expected, s);
          expect(counts).toMatchObject({ ...expected });
          // The lost-ids sample: real lost ids, all of them while there are at most 20.
          expect(sample.every((id) => lostIds.includes(id))).toBe(true);
          expect(sample.length).toBe(Math.min(20, lostIds.length));
          expect(lostSample.length).toBe(sample.length);
          // Everything delivered and past the window is forgotten: only the lost remain.
          expect(footprint.messages).toBeLessThanOrEqual(
            20 + specs.filter((s) => s.kind === 'byId' && s.lost && s.answered).length,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('DeliveryLedger stamped messages', () => {
  it('counts a stamped message by its sequence number, whichever side comes first', () => {
    const ledger = new DeliveryLedger();
    const a = ledger.stamp({ i: 1 });
    const b = ledger.stamp({ i: 2 });
    expect(a.envelope).toEqual({ i: 1, conduitLedger: { p: ledger.producer, s: 0 } });
    expect(ledger.delivered('id-b', 1, { envelope: b.envelope, acked: true })).toBe('unexpected'); // before its answer
    ledger.enqueued('id-a', a.seq);
    ledger.enqueued('id-b', b.seq);
    expect(ledger.outstandingCount).toBe(1);
    expect(ledger.delivered('id-a', 1, { envelope: a.envelope, acked: false })).toBe('first');
    expect(ledger.delivered('id-a', 2, { envelope: a.envelope, acked: true })).toBe('redelivery');
    expect(ledger.delivered('id-a', 2, { envelope: a.envelope, acked: true })).toBe('duplicate');
    expect(ledger.summary()).toMatchObject({
      enqueued: 2,
      deliveredUnique: 2,
      lost: 0,
      duplicates: 1,
      redeliveries: 1,
      unexpected: 0,
    });
  });

  it('treats a stamp of another producer as a foreign message', () => {
    const ours = new DeliveryLedger({ producer: 'ours' });
    const theirs = new DeliveryLedger({ producer: 'theirs' });
    const m = theirs.stamp({});
    expect(ours.seqOf(m.envelope)).toBeUndefined();
    expect(ours.delivered('x', 1, { envelope: m.envelope })).toBe('unexpected');
    expect(ours.summary()).toMatchObject({ enqueued: 0, unexpected: 1 });
  });

  it('after the retain window: a first attempt again or a repeat of an acked message is a duplicate, a higher attempt of an unacked one a redelivery', () => {
    let now = 0;
    const ledger = new DeliveryLedger({ retainMs: 1000, now: () => now });
    const acked = ledger.stamp({});
    const nacked = ledger.stamp({});
    ledger.enqueued('acked', acked.seq);
    ledger.enqueued('nacked', nacked.seq);
    ledger.delivered('acked', 1, { envelope: acked.envelope, acked: true });
    ledger.delivered('nacked', 1, { envelope: nacked.envelope, acked: false });
    now = 5000; // both forgotten
    expect(ledger.footprint.messages).toBe(2);
    ledger.summary();
    expect(ledger.footprint.messages).toBe(0);
    expect(ledger.delivered('acked', 2, { envelope: acked.envelope })).toBe('duplicate'); // the exact ledger would say redelivery
    expect(ledger.delivered('nacked', 2, { envelope: nacked.envelope })).toBe('redelivery');
    expect(ledger.delivered('nacked', 1, { envelope: nacked.envelope })).toBe('duplicate');
    expect(ledger.summary()).toMatchObject({
      enqueued: 2,
      deliveredUnique: 2,
      lost: 0,
      duplicates: 2,
      redeliveries: 1,
    });
  });

  it('keeps the ids of at most 20 messages waiting longer than the window, and still counts every lost one', () => {
    let now = 0;
    const ledger = new DeliveryLedger({ retainMs: 1000, now: () => now });
    for (let i = 0; i < 500; i++) ledger.enqueued(`m${i}`, ledger.stamp({}).seq);
    now = 2000;
    const s = ledger.summary();
    expect(s.lost).toBe(500);
    expect(s.lostSample).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(ledger.footprint).toMatchObject({ messages: 20, intervals: 1 });
  });

  it('rejects a bad sequence number', () => {
    expect(() => new DeliveryLedger().enqueued('x', -1)).toThrow(RangeError);
  });
});
