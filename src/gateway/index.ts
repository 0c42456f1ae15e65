// Public entry of the Conduit gateway: what tools, tests and embedders may rely on.
// Each package folder has its own index with more (streams, blobs, ws, uploads,
// config, observability); this one lists the stable surface, grouped.

// The app factory and process entry
export { createGateway, urlFor, type Gateway, type GatewayOptions, type GatewayAddresses } from './app.js';
export { serve, READY_PREFIX, type ReadyMessage, type ErrorMessage } from './server.js';
export { GATEWAY_NODE_FLAGS, missingNodeFlags } from './node-flags.js';

// The context contract shared by every gateway part
export type {
  GatewayContext,
  ConfigHolder,
  ReloadStatus,
  GatewayMetrics,
  GatewayLogs,
  Lifecycle,
  RouteAuth,
} from './context.js';

// Configuration: environment, YAML file, resolved view, reloadable holder
export { envSchema, parseEnv, envDefaults, EnvConfigError, type EnvSettings } from './config/env.js';
export {
  fileSchema,
  validateFileConfig,
  checkFileText,
  loadFileConfig,
  type FileConfig,
  type FileCheck,
  type TenantLimits,
  type StreamRule,
} from './config/file.js';
export {
  resolveConfig,
  globToRegExp,
  DEFAULT_TENANT,
  type ResolvedConfig,
  type Tenant,
  type StreamPolicy,
} from './config/resolved.js';
export { createConfigHolder, loadResolved, ConfigLoadError, DEFAULT_CONFIG_PATH } from './config/holder.js';

// Errors: the catalogue and its HTTP rendering
export {
  ERRORS,
  GatewayError,
  gatewayError,
  isGatewayError,
  type ErrorCode,
  type ErrorBody,
  type ErrorSpec,
} from './errors.js';
export { toGatewayError } from './plugins/errors.js';

// Auth, stream names, request plumbing
export {
  authenticate,
  checkAdmin,
  tokenFrom,
  isLoopback,
  openModeProblem,
  type AuthResult,
} from './plugins/auth-check.js';
export { scopeStreamName, isValidStreamName, STREAM_NAME } from './plugins/stream-name.js';
export { discardBody } from './plugins/body-discard.js';
export type { DrainResult } from './plugins/lifecycle.js';

// Streams: the engine contract and its factory
export { createStreamsEngine, type StreamsEngineDeps } from './streams/index.js';
export type {
  StreamsEngine,
  Consumer,
  DeliverySink,
  EnqueueResult,
  Envelope,
  SettleResult,
  StreamMessage,
  StreamStats,
  StreamTotals,
  SubscribeOptions,
} from './streams/types.js';

// Blobs: the store contract and its factory
export { createBlobStore } from './blobs/index.js';
export type { BlobStore, BlobMeta, PutBlobInput } from './blobs/types.js';

// Uploads: the response model of POST /v1/upload
export type { UploadedFile, UploadResponse } from './uploads/index.js';

// WebSocket: the route path and the frame helpers (for clients)
export {
  SUBSCRIBE_PATH,
  parseClientFrame,
  subscribedFrame,
  deliverFrame,
  errorFrame,
  type ClientFrame,
  type ParsedFrame,
} from './ws/index.js';

// Observability
export { HttpStats, summariseMs, type HttpStatsSnapshot, type LatencySummaryMs } from './observability/http-stats.js';
export type { ProcessSnapshot } from './observability/process-stats.js';
