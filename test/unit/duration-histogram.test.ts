import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  DURATION_BUCKETS_S,
  DurationCounts,
  ScrapedDurationHistogram,
} from '../../src/gateway/observability/duration-histogram.js';

const NAME = 'conduit_http_request_duration_seconds';

/** The same observations through prom-client's own Histogram and through the scraped one. */
async function both(observations: Array<{ series: number; seconds: number }>) {
  const labelsOf = (i: number) => Object.freeze({ method: i % 2 === 0 ? 'GET' : 'POST', route: `/r${i}` });
  const own = new Registry();
  const reference = new Histogram({
    name: NAME,
    help: 'HTTP request duration',
    labelNames: ['method', 'route'],
    buckets: [...DURATION_BUCKETS_S],
    registers: [own],
  });
  const scrapedRegistry = new Registry();
  const series = new Map<number, { labels: Readonly<{ method: string; route: string }>; duration: DurationCounts }>();
  new ScrapedDurationHistogram(
    { name: NAME, help: 'HTTP request duration', labelNames: ['method', 'route'], registers: [scrapedRegistry] },
    () => series.values(),
  );
  for (const { series: i, seconds } of observations) {
    reference.observe(labelsOf(i), seconds);
    let s = series.get(i);
    if (!s) {
      s = { labels: labelsOf(i), duration: new DurationCounts() };
      series.set(i, s);
    }
    s.duration.observe(seconds);
  }
  return {
    expectedText: await own.metrics(),
    text: await scrapedRegistry.metrics(),
    expectedJson: await own.getMetricsAsJSON(),
    json: await scrapedRegistry.getMetricsAsJSON(),
  };
}

describe('ScrapedDurationHistogram', () => {
  it('renders exactly what prom-client’s Histogram renders for the same observations (text and JSON)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            series: fc.integer({ min: 0, max: 3 }),
            // Bucket bounds themselves (le is inclusive), values between them and beyond the top one.
            seconds: fc.oneof(
              fc.constantFrom(...DURATION_BUCKETS_S, 0, 20),
              fc.double({ min: 0, max: 30, noNaN: true }),
            ),
          }),
          { maxLength: 200 },
        ),
        async (observations) => {
          const r = await both(observations);
          expect(r.text).toBe(r.expectedText);
          expect(r.json).toEqual(r.expectedJson);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('puts a duration equal to a bound in that bound’s bucket, and one above the top bound only in +Inf', async () => {
    const { text } = await both([
      { series: 0, seconds: 0.001 },
      { series: 0, seconds: 11 },
    ]);
    expect(text).toContain(`${NAME}_bucket{le="0.0005",method="GET",route="/r0"} 0\n`);
    expect(text).toContain(`${NAME}_bucket{le="0.001",method="GET",route="/r0"} 1\n`);
    expect(text).toContain(`${NAME}_bucket{le="10",method="GET",route="/r0"} 1\n`);
    expect(text).toContain(`${NAME}_bucket{le="+Inf",method="GET",route="/r0"} 2\n`);
    expect(text).toContain(`${NAME}_sum{method="GET",route="/r0"} 11.001\n`);
    expect(text).toContain(`${NAME}_count{method="GET",route="/r0"} 2`);
  });
});
