// Public entry of the WebSocket transport: the /v1/subscribe Fastify plugin, the
// per-gateway hub behind it, and the frame helpers (for clients and tests).
import { makeSubscribeRoutes } from './plugin.js';

/**
 * Fastify plugin: GET /v1/subscribe?stream=NAME. Options `{ ctx, hub }`: the app factory
 * creates one SubscribeHub per gateway and passes it to every listener, so tenant
 * connection caps, metrics and the drain hook count each connection once.
 */
export const subscribeRoutes = makeSubscribeRoutes();

export { SUBSCRIBE_PATH, type SubscribeRoutesOptions } from './plugin.js';
export { SubscribeHub } from './hub.js';
export { SubscriberConnection, type ConnectionLimits } from './connection.js';
export { WsMetrics, type WsSnapshot } from './metrics.js';
export {
  parseClientFrame,
  subscribedFrame,
  deliverFrame,
  errorFrame,
  type ClientFrame,
  type ParsedFrame,
} from './frames.js';
