// WebSocket transport figures: Prometheus metrics in the gateway's registry and the
// `ws` section of GET /v1/metrics. Transport-level counters are counted here;
// dead letters and credit stalls are engine events, read from the engine's totals.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { GatewayMetrics } from '../context.js';
import type { StreamTotals } from '../streams/types.js';

export interface WsSnapshot {
  connections: { open: number; total: number; rejected: number };
  delivered: number;
  acked: number;
  nacked: number;
  redelivered: number;
  deadLettered: number;
  creditGranted: number;
  creditStalls: number;
  /** Settle frames naming an unknown or already settled id. */
  unknownSettles: number;
  /** Close codes seen, by code. */
  closeCodes: Record<string, number>;
}

type MessageEvent = 'delivered' | 'redelivered' | 'acked' | 'nacked' | 'unknown_settle';

/** Reuse a metric already in the registry (a second plugin instance on the same registry). */
function metric<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export class WsMetrics {
  private open = 0;
  private total = 0;
  private rejected = 0;
  private delivered = 0;
  private redelivered = 0;
  private acked = 0;
  private nacked = 0;
  private unknownSettles = 0;
  private creditGranted = 0;
  private readonly closeCodes = new Map<number, number>();

  constructor(
    registry: Registry,
    private readonly totals: () => StreamTotals,
  ) {
    // Prometheus figures are read from the plain counters at scrape time (collect), so
    // the delivery path pays one integer increment per event, not a label lookup.
    const self = this;
    metric(
      registry,
      'conduit_ws_connections_open',
      () =>
        new Gauge({
          name: 'conduit_ws_connections_open',
          help: 'Open /v1/subscribe connections',
          registers: [registry],
          collect() {
            this.set(self.open);
          },
        }),
    );
    metric(
      registry,
      'conduit_ws_connections_total',
      () =>
        new Counter({
          name: 'conduit_ws_connections_total',
          help: 'WebSocket connections by outcome (accepted, rejected)',
          labelNames: ['outcome'] as const,
          registers: [registry],
          collect() {
            this.reset();
            this.inc({ outcome: 'accepted' }, self.total);
            this.inc({ outcome: 'rejected' }, self.rejected);
          },
        }),
    );
    metric(
      registry,
      'conduit_ws_messages_total',
      () =>
        new Counter({
          name: 'conduit_ws_messages_total',
          help: 'WebSocket message events (delivered, redelivered, acked, nacked, unknown_settle)',
          labelNames: ['event'] as const,
          registers: [registry],
          collect() {
            this.reset();
            this.inc({ event: 'delivered' }, self.delivered);
            this.inc({ event: 'redelivered' }, self.redelivered);
            this.inc({ event: 'acked' }, self.acked);
            this.inc({ event: 'nacked' }, self.nacked);
            this.inc({ event: 'unknown_settle' }, self.unknownSettles);
          },
        }),
    );
    metric(
      registry,
      'conduit_ws_credit_granted_total',
      () =>
        new Counter({
          name: 'conduit_ws_credit_granted_total',
          help: 'Credit granted by subscribers',
          registers: [registry],
          collect() {
            this.reset();
            this.inc(self.creditGranted);
          },
        }),
    );
    metric(
      registry,
      'conduit_ws_close_codes_total',
      () =>
        new Counter({
          name: 'conduit_ws_close_codes_total',
          help: 'Closed WebSocket connections by close code',
          labelNames: ['code'] as const,
          registers: [registry],
          collect() {
            this.reset();
            for (const [code, n] of self.closeCodes) this.inc({ code: String(code) }, n);
          },
        }),
    );
    metric(
      registry,
      'conduit_ws_dead_lettered',
      () =>
        new Gauge({
          name: 'conduit_ws_dead_lettered',
          help: 'Messages moved to NAME.dlq since start (streams engine)',
          registers: [registry],
          collect() {
            this.set(self.totals().deadLettered);
          },
        }),
    );
    metric(
      registry,
      'conduit_ws_credit_stalls',
      () =>
        new Gauge({
          name: 'conduit_ws_credit_stalls',
          help: "Deliveries that used a subscriber's last credit while messages were waiting, since start",
          registers: [registry],
          collect() {
            this.set(self.totals().creditStalls ?? 0);
          },
        }),
    );
  }

  /** Add the `ws` section to /v1/metrics (once per gateway). */
  attachJson(metrics: GatewayMetrics): void {
    metrics.addJsonSection('ws', () => this.snapshot());
  }

  connectionOpened(): void {
    this.open++;
    this.total++;
  }

  connectionRejected(): void {
    this.rejected++;
  }

  connectionClosed(code: number, wasOpen: boolean): void {
    if (wasOpen) this.open--;
    this.closeCodes.set(code, (this.closeCodes.get(code) ?? 0) + 1);
  }

  message(event: MessageEvent): void {
    switch (event) {
      case 'delivered':
        this.delivered++;
        break;
      case 'redelivered':
        this.redelivered++;
        break;
      case 'acked':
        this.acked++;
        break;
      case 'nacked':
        this.nacked++;
        break;
      case 'unknown_settle':
        this.unknownSettles++;
        break;
    }
  }

  credit(n: number): void {
    this.creditGranted += n;
  }

  snapshot(): WsSnapshot {
    const t = this.totals();
    return {
      connections: { open: this.open, total: this.total, rejected: this.rejected },
      delivered: this.delivered,
      acked: this.acked,
      nacked: this.nacked,
      redelivered: this.redelivered,
      deadLettered: t.deadLettered,
      creditGranted: this.creditGranted,
      creditStalls: t.creditStalls ?? 0,
      unknownSettles: this.unknownSettles,
      closeCodes: Object.fromEntries([...this.closeCodes].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v])),
    };
  }
}
