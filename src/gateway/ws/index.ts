// Public entry of the WebSocket transport: the /v1/subscribe Fastify plugin, the
// per-gateway hub behind it, and the frame helpers (for clients and tests).
import type { GatewayContext } from '../context.js';
import { SubscribeHub } from './hub.js';
import { makeSubscribeRoutes } from './plugin.js';

// One hub per gateway context. The association lives exactly as long as the context
// (WeakMap): several gateways in one process each get their own hub, and the HTTP and
// WebSocket listeners of one gateway share theirs (tenant connection caps, metrics and
// the drain hook count every connection once).
const hubs = new WeakMap<GatewayContext, SubscribeHub>();

/** The SubscribeHub of a gateway context (created on first use). */
export function hubFor(ctx: GatewayContext): SubscribeHub {
  let hub = hubs.get(ctx);
  if (!hub) {
    hub = new SubscribeHub(ctx);
    hubs.set(ctx, hub);
  }
  return hub;
}

/** Fastify plugin: GET /v1/subscribe?stream=NAME. Options `{ ctx, hub? }`. */
export const subscribeRoutes = makeSubscribeRoutes(hubFor);

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
