// The request-duration histogram of /metrics (conduit_http_request_duration_seconds),
// counted the way the request counters are: in plain numbers on the request's path,
// turned into Prometheus series only when /metrics is read.
//
// prom-client's own Histogram validates and hashes the label set on every observe(),
// even through a child with its labels bound, and finds the bucket through a keyed
// object: ~1.5 µs of a ~45 µs request (docs/performance.md). Here each route series
// owns a DurationCounts (one array of per-bucket counts, a sum and a count); the
// histogram registered with prom-client is a Histogram whose values are built from
// those counts at scrape time, in the shape prom-client's Histogram gives its registry
// (cumulative `_bucket` series with `le` first, then `+Inf`, `_sum`, `_count`).
import { Histogram, type HistogramConfiguration } from 'prom-client';

/** Upper bounds (seconds) of the request-duration buckets. */
export const DURATION_BUCKETS_S: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** The durations of one series, in DURATION_BUCKETS_S buckets (the last slot is above the top bound). */
export class DurationCounts {
  readonly buckets = new Float64Array(DURATION_BUCKETS_S.length + 1);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    const bounds = DURATION_BUCKETS_S;
    let i = 0;
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    this.buckets[i] = (this.buckets[i] as number) + 1;
    this.sum += seconds;
    this.count += 1;
  }
}

/** One series as the histogram reads it at scrape time. */
export interface DurationSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly duration: DurationCounts;
}

/** One value as prom-client's Histogram hands it to the registry: its own labels (`le`) and the series' labels. */
type Value = {
  labels: { le?: number | string };
  sharedLabels: Readonly<Record<string, string>>;
  value: number;
  metricName: string;
  /** prom-client's buckets carry `exemplar: null` when exemplars are off. */
  exemplar?: null;
};

/** The values prom-client's registry renders for `series` (the Histogram's own export shape). */
export function durationValues(name: string, series: Iterable<DurationSeries>): Value[] {
  const values: Value[] = [];
  for (const s of series) {
    const d = s.duration;
    if (d.count === 0) continue;
    let cumulative = 0;
    DURATION_BUCKETS_S.forEach((le, i) => {
      cumulative += d.buckets[i] as number;
      values.push({
        labels: { le },
        sharedLabels: s.labels,
        value: cumulative,
        metricName: `${name}_bucket`,
        exemplar: null,
      });
    });
    values.push({
      labels: { le: '+Inf' },
      sharedLabels: s.labels,
      value: d.count,
      metricName: `${name}_bucket`,
      exemplar: null,
    });
    values.push({ labels: {}, sharedLabels: s.labels, value: d.sum, metricName: `${name}_sum` });
    values.push({ labels: {}, sharedLabels: s.labels, value: d.count, metricName: `${name}_count` });
  }
  return values;
}

/**
 * A prom-client Histogram that never observes: registered and named by prom-client, its
 * values come from `series()` when the registry reads it. The registry's text output
 * reads getForPromString(), and the Histogram's get() (JSON) reads it too and merges
 * each value's labels.
 */
export class ScrapedDurationHistogram<T extends string> extends Histogram<T> {
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(
    config: Omit<HistogramConfiguration<T>, 'buckets' | 'collect'>,
    private readonly series: () => Iterable<DurationSeries>,
  ) {
    super({ ...config, buckets: [...DURATION_BUCKETS_S] });
    this.metricName = config.name;
    this.metricHelp = config.help;
  }

  async getForPromString() {
    return {
      name: this.metricName,
      help: this.metricHelp,
      type: 'histogram',
      values: durationValues(this.metricName, this.series()),
      aggregator: 'sum', // prom-client's default for a Histogram
    };
  }
}
