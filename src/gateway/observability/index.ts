export { createLogs, type OwnedLogs } from './loggers.js';
export { GatewayMetricsImpl } from './metrics.js';
export {
  HttpStats,
  newLatencyHistogram,
  summariseMs,
  type HttpStatsSnapshot,
  type LatencySummaryMs,
} from './http-stats.js';
export { ProcessStats, type ProcessSnapshot } from './process-stats.js';
