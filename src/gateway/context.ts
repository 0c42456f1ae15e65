// The gateway's shared context: the one object the app factory creates and hands to
// every plugin as `{ ctx }`. Nothing in the gateway keeps state at module level; it
// all hangs off a GatewayContext, so several gateways can run in one process.
//
// Contract (other parts code against these exact names):
//
//   ctx.env        EnvSettings, frozen at start (config/env.ts).
//   ctx.config     ConfigHolder: current() → ResolvedConfig (never cache it across
//                  requests: a reload swaps it), reload() → ReloadStatus, status().
//   ctx.streams    StreamsEngine (streams/types.ts), tenant-scoped.
//   ctx.blobs      BlobStore (blobs/types.ts), tenant-scoped.
//   ctx.metrics    GatewayMetrics: a prom-client Registry for Prometheus metrics, plus
//                  addJsonSection(name, fn) — `fn()` is called on every GET /v1/metrics
//                  and its value appears under the top-level key `name` (helpers add
//                  'ws' and 'uploads'); countTenant(tenant, counter, by) adds to the
//                  per-tenant counters shown under `tenants`.
//   ctx.logs       pino loggers: app (stdout), http (CONDUIT_HTTP_LOG JSONL), ws
//                  (CONDUIT_WS_LOG JSONL); requests, the HTTP log's per-request line
//                  (a compiled serializer). Never log tokens or query strings.
//   ctx.lifecycle  draining flag + onDrain(fn): drain hooks run once when the drain
//                  starts (WebSocket: stop deliveries, close sockets with 1001); the
//                  gateway waits for them, bounded by CONDUIT_DRAIN_TIMEOUT_MS.
//
// Fastify request decorations (set for every route, including the WebSocket upgrade,
// whose hooks run before the upgrade):
//
//   request.tenant    the authenticated Tenant (config/resolved.ts). Routes are
//                     authenticated unless their route config says `auth: 'none'`.
//   request.logExtra  fields merged into this request's line in the HTTP log
//                     (uploads add sha256 and MB/s).
//
// Stream names: `scopeStreamName(tenant, raw)` (plugins/stream-name.ts) validates a
// name and resolves tenant-qualified names (`tenant:NAME/rest`); see that file.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BlobStore } from './blobs/types.js';
import type { EnvSettings } from './config/env.js';
import type { ResolvedConfig, Tenant } from './config/resolved.js';
import type { StreamsEngine } from './streams/types.js';
import type { RequestLineLog } from './observability/request-line.js';

export interface ReloadStatus {
  status: 'ok' | 'failed';
  /** ISO time of the last load attempt (start or reload). */
  at: string;
  /** The problems of the last failed attempt; the previous config stayed in force. */
  errors?: string[];
}

export interface ConfigHolder {
  current(): ResolvedConfig;
  /** Re-read the YAML file; on problems keep the current config and report them. */
  reload(): Promise<ReloadStatus>;
  status(): ReloadStatus;
}

export interface GatewayMetrics {
  /** This gateway's prom-client registry (GET /metrics). */
  readonly registry: Registry;
  /** Add a top-level section to GET /v1/metrics JSON; `fn` runs on each request. */
  addJsonSection(name: string, fn: () => unknown): void;
  /** Add `by` (default 1) to a per-tenant counter shown under `tenants` in /v1/metrics. */
  countTenant(tenant: string, counter: string, by?: number): void;
}

export interface GatewayLogs {
  /** Operational log (stdout). */
  readonly app: Logger;
  /** The HTTP log (CONDUIT_HTTP_LOG JSONL), for lines other than the per-request one. */
  readonly http: Logger;
  /** The per-request line of the HTTP log (observability/request-line.ts). */
  readonly requests: RequestLineLog;
  /** One JSON line per WebSocket lifecycle event (CONDUIT_WS_LOG). */
  readonly ws: Logger;
}

export interface Lifecycle {
  /** True from the moment a drain starts. */
  readonly draining: boolean;
  /** Register a drain hook; it runs once, when the drain starts. */
  onDrain(fn: () => Promise<void> | void): void;
}

export interface GatewayContext {
  readonly env: EnvSettings;
  readonly config: ConfigHolder;
  readonly streams: StreamsEngine;
  readonly blobs: BlobStore;
  readonly metrics: GatewayMetrics;
  readonly logs: GatewayLogs;
  readonly lifecycle: Lifecycle;
  /** The package version (GET /health). */
  readonly version: string;
  /** Epoch ms when this gateway was created. */
  readonly startedAt: number;
}

/** Per-route options: `config: { auth: ... }` on a Fastify route. */
export type RouteAuth =
  /** A tenant token (default for every route that does not say otherwise). */
  | 'tenant'
  /** CONDUIT_ADMIN_TOKEN. */
  | 'admin'
  /** A tenant token only when CONDUIT_PROTECT_METRICS=true. */
  | 'metrics'
  /** No token. */
  | 'none';

declare module 'fastify' {
  interface FastifyRequest {
    tenant: Tenant;
    logExtra: Record<string, unknown>;
  }
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
}

export { scopeStreamName, isValidStreamName, STREAM_NAME } from './plugins/stream-name.js';
export { authenticate, type AuthResult } from './plugins/auth-check.js';
