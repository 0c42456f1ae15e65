import { describe, expect, it } from 'vitest';
import { DeliveryClock, Metrics } from '../../src/load/index.js';

function summary(metrics: Metrics, name: string) {
  return metrics.snapshot().histograms[name]?.summary;
}

describe('DeliveryClock', () => {
  it('times a delivery from the generator send time, with sub-millisecond resolution', () => {
    const metrics = new Metrics();
    const clock = new DeliveryClock(metrics);
    clock.enqueued('a', 1000.0);
    clock.delivered('a', 0, 1000.25); // the gateway stamp says 0 ms: 1 ms resolution
    const s = summary(metrics, 'ws.delivery')!;
    expect(s.count).toBe(1);
    expect(s.p50).toBeGreaterThan(0.24);
    expect(s.p50).toBeLessThan(0.26);
    expect(summary(metrics, 'ws.delivery.enqueuedAt')).toBeUndefined();
  });

  it('matches a delivery that arrives before the enqueue answer was processed', () => {
    const metrics = new Metrics();
    const clock = new DeliveryClock(metrics);
    clock.delivered('b', 3, 2000.5); // delivered first…
    expect(clock.pending).toBe(1);
    clock.enqueued('b', 1999.0); // …the answer with its id comes after
    expect(clock.pending).toBe(0);
    expect(summary(metrics, 'ws.delivery')!.p50).toBeCloseTo(1.5, 2);
    clock.flush();
    expect(summary(metrics, 'ws.delivery.enqueuedAt')).toBeUndefined();
  });

  it('falls back to the enqueuedAt figure for messages the generator did not send', () => {
    let now = 0;
    const metrics = new Metrics();
    const clock = new DeliveryClock(metrics, { matchWindowMs: 1000, now: () => now });
    clock.delivered('foreign-1', 7, 10);
    clock.delivered('foreign-2', 9, 500);
    // A later delivery expires those older than the match window.
    now = 1600;
    clock.delivered('foreign-3', 4);
    expect(summary(metrics, 'ws.delivery.enqueuedAt')!.count).toBe(2);
    expect(clock.pending).toBe(1);
    // The end of the run settles the rest.
    clock.flush();
    const fallback = summary(metrics, 'ws.delivery.enqueuedAt')!;
    expect(fallback.count).toBe(3);
    expect(fallback.max).toBeCloseTo(9, 1);
    expect(summary(metrics, 'ws.delivery')).toBeUndefined();
  });

  it('uses a custom metric name and forgets sends never delivered at flush', () => {
    const metrics = new Metrics();
    const clock = new DeliveryClock(metrics, { metric: 'msg.latency' });
    clock.enqueued('lost', 1);
    clock.flush();
    clock.delivered('lost', 5, 10); // after flush it is unknown again
    clock.flush();
    expect(summary(metrics, 'msg.latency')).toBeUndefined();
    expect(summary(metrics, 'msg.latency.enqueuedAt')!.count).toBe(1);
  });

  it('drops matched entries at once and forgets sends never delivered after sentRetainMs', () => {
    let now = 0;
    const metrics = new Metrics();
    const clock = new DeliveryClock(metrics, { matchWindowMs: 1000, sentRetainMs: 5000, now: () => now });
    for (let i = 0; i < 1000; i++) {
      now = i;
      clock.enqueued(`m${i}`, now);
      if (i % 10 !== 0) clock.delivered(`m${i}`, 0, now + 1); // every 10th is never delivered
    }
    expect(clock.size).toEqual({ sent: 100, early: 0 });
    // Time passes with more traffic: the undelivered sends go, the live ones stay.
    for (let i = 1000; i < 7000; i++) {
      now = i;
      clock.enqueued(`m${i}`, now);
      clock.delivered(`m${i}`, 0, now + 1);
    }
    expect(clock.size).toEqual({ sent: 0, early: 0 });
    // A delivery of a forgotten send waits for an answer, then takes the fallback figure.
    clock.delivered('m10', 42, now);
    now += 2000;
    clock.delivered('late', 1, now);
    expect(summary(metrics, 'ws.delivery.enqueuedAt')!.count).toBe(1);
    expect(summary(metrics, 'ws.delivery')!.count).toBe(900 + 6000);
  });
});
