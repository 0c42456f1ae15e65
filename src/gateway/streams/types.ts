// The streams engine contract. Delivery rules (credit, FIFO, in-flight caps,
// redelivery, dead letter) live behind this interface in one place; the HTTP routes
// and the WebSocket transport are thin callers. `memory` (embedded) and `redis` (Redis
// Streams + consumer groups, shared by several gateways) implement it.
//
// Streams are tenant-scoped: every call names the tenant, and two tenants' streams
// with the same name never meet.

/** A JSON value sent by a producer; the engine never inspects it. */
export type Envelope = unknown;

export interface StreamMessage {
  readonly id: string;
  readonly stream: string;
  readonly envelope: Envelope;
  /** 1 on first delivery, +1 on each redelivery. */
  readonly attempt: number;
  /** Epoch milliseconds at enqueue. */
  readonly enqueuedAt: number;
}

export interface StreamStats {
  stream: string;
  /** Waiting + delayed messages (not in flight). */
  depth: number;
  inflight: number;
  delivered: number;
  acked: number;
  nacked: number;
  redelivered: number;
  deadLettered: number;
  subscribers: number;
}

/** Engine-wide totals for /v1/metrics and Prometheus. */
export interface StreamTotals extends StreamTotalsExtra {
  enqueued: number;
  delivered: number;
  acked: number;
  nacked: number;
  redelivered: number;
  deadLettered: number;
  depth: number;
  inflight: number;
  streams: number;
  subscribers: number;
}

/** The transport side of a subscription: the engine pushes deliveries into it. */
export interface DeliverySink {
  /** Called only while the consumer has credit; each call uses one credit. */
  deliver(message: StreamMessage): void;
}

export type SettleResult = 'ok' | 'unknown';

/** One subscriber's handle on a stream. */
export interface Consumer {
  readonly id: string;
  /** Credit left (granted − delivered). */
  readonly credit: number;
  /** Unsettled deliveries on this consumer. */
  readonly inflight: number;
  /** Add credit; the engine then delivers up to credit (and the in-flight cap). */
  grant(n: number): void;
  ack(id: string): SettleResult;
  /** Return a delivery; it becomes deliverable again after `delayMs` (bounded by the engine). */
  nack(id: string, delayMs?: number): SettleResult;
  /** Stop/start delivering without giving credit back (transport backpressure). */
  pause(): void;
  resume(): void;
  /** Unsubscribe: every unsettled delivery returns to its stream for redelivery. */
  close(): void;
}

export interface SubscribeOptions {
  /** Cap on unsettled deliveries for this consumer. */
  maxInflight: number;
}

export interface EnqueueResult {
  id: string;
  stream: string;
}

export interface StreamsEngine {
  /** Throws GatewayError STREAM_FULL (with retryAfterS) when the stream is at maxDepth. */
  enqueue(tenant: string, stream: string, envelope: Envelope): Promise<EnqueueResult>;
  stats(tenant: string, stream: string): Promise<StreamStats>;
  subscribe(tenant: string, stream: string, sink: DeliverySink, options: SubscribeOptions): Consumer;
  totals(): StreamTotals;
  /** Stop all delivery and return every unsettled message to its stream (drain). */
  stopDelivery(): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional: resolves once the engine can serve (its backend is reachable), rejects
   * with a clear message when it cannot. The app factory awaits it before listening.
   * Engines without a backend to reach (memory) omit it.
   */
  ready?(): Promise<void>;
  /**
   * Optional: false while the engine's backend cannot be reached (redis: the command
   * connection is not ready). Shown in /health; engines without a backend omit it.
   */
  connected?(): boolean;
}

// ---- additive extensions (memory engine) ----------------------------------------

/** Optional engine-wide counters an engine may report besides StreamTotals' core fields. */
export interface StreamTotalsExtra {
  /** Deliveries returned because their ack timeout passed. */
  timedOut?: number;
  /** Deliveries that used a consumer's last credit while messages were still waiting. */
  creditStalls?: number;
  /** Idle streams forgotten (with their counters) to bound the engine's memory. */
  streamsEvicted?: number;
}
