// Public entry of the Conduit gateway.

// The app factory and process entry
export { createGateway, urlFor, type Gateway, type GatewayOptions, type GatewayAddresses } from './app.js';
export { serve, READY_PREFIX, type ReadyMessage, type ErrorMessage } from './server.js';

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

// Configuration
export * from './config/index.js';
export { createConfigHolder, loadResolved, ConfigLoadError, DEFAULT_CONFIG_PATH } from './config/holder.js';

// Errors
export { ERRORS, GatewayError, gatewayError, isGatewayError, type ErrorCode, type ErrorBody, type ErrorSpec } from './errors.js';

// Auth and stream names
export { authenticate, checkAdmin, tokenFrom, isLoopback, openModeProblem, type AuthResult } from './plugins/auth-check.js';
export { scopeStreamName, isValidStreamName, STREAM_NAME } from './plugins/stream-name.js';
export { toGatewayError } from './plugins/errors.js';
export { discardBody } from './plugins/body-discard.js';
export type { DrainResult } from './plugins/lifecycle.js';

// Observability
export { HttpStats, summariseMs, type HttpStatsSnapshot, type LatencySummaryMs } from './observability/http-stats.js';
export type { ProcessSnapshot } from './observability/process-stats.js';
