// Load limits. Rate limits are @fastify/rate-limit's local store (fixed one-minute
// windows, an LRU of 5,000 keys per limit): one per client IP (CONDUIT_RATE_LIMIT_PER_IP)
// checked before auth, one per tenant (its `limits.rateLimit`, re-read from the current
// config so reloads apply) checked after. They apply to tenant routes only — operational
// routes (/health, metrics) and the admin API are exempt — and a WebSocket upgrade counts
// once, like any request; frames on an open socket are the WebSocket layer's business.
// Overload shedding is @fastify/under-pressure (event-loop delay, RSS).
//
// Every request passes here, so the checks cost what they must and no more: the routes
// they apply to are picked once, when each route is added (routeHooks(), called from the
// auth plugin's onRoute hook), not per request; and they call the store's synchronous
// callback API from callback hooks. (@fastify/rate-limit's createRateLimit() wraps the
// same store call in an async function of four awaits, each a promise and a microtask.)
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import { createRequire } from 'node:module';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';

/** The store interface @fastify/rate-limit's stores implement (types/index.d.ts, FastifyRateLimitStore). */
interface WindowStore {
  incr(
    key: string,
    cb: (err: Error | null, res?: { current: number; ttl: number }) => void,
    timeWindow: number,
    max: number,
  ): void;
}
type StoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, cache?: number) => WindowStore;
// The plugin's own in-memory store (what it uses without `redis` or `store` options).
const LocalStore = createRequire(import.meta.url)('@fastify/rate-limit/store/LocalStore.js') as StoreCtor;

const WINDOW_MS = 60_000;
/** Keys each limit remembers (@fastify/rate-limit's default `cache`). */
const STORE_KEYS = 5000;

type OnRequest = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/** Does a route get the rate limits? Tenant routes only. */
export function isTenantRoute(route: Pick<RouteOptions, 'config'>): boolean {
  const config = route.config as { operational?: boolean; auth?: string } | undefined;
  if (config?.operational) return false;
  return (config?.auth ?? 'tenant') === 'tenant';
}

/** An onRequest hook counting each request under key(request) in a fixed window of at most max(request) requests. */
function limitHook(
  store: WindowStore,
  key: (r: FastifyRequest) => string,
  max: (r: FastifyRequest) => number,
  what: (r: FastifyRequest) => string,
): OnRequest {
  return (request, _reply, done) => {
    const limit = max(request);
    let refused: GatewayError | undefined;
    // LocalStore answers synchronously; a store that did not would still be correct (done once).
    store.incr(
      key(request),
      (err, res) => {
        if (err) return done(err);
        if (res && res.current > limit) {
          refused = new GatewayError(
            'RATE_LIMITED',
            `Rate limit of ${limit} requests per minute exceeded (${what(request)})`,
            {
              retryAfterS: Math.max(1, Math.ceil(res.ttl / 1000)),
            },
          );
        }
        done(refused);
      },
      WINDOW_MS,
      limit,
    );
  };
}

export interface Limits {
  /** Start overload shedding (call once listening). */
  armOverload(): void;
  /** The route-level hooks of a route: [before auth, after auth], empty for routes that are not limited. */
  routeHooks(route: Pick<RouteOptions, 'config'>): { beforeAuth: OnRequest[]; afterAuth: OnRequest[] };
}

/** Register under-pressure; returns the overload switch and the per-route rate-limit hooks. */
export async function registerLimits(app: FastifyInstance, ctx: GatewayContext): Promise<Limits> {
  const env = ctx.env;
  // Shedding is armed two samples after listen(): the first samples measure the
  // event-loop stalls of start-up itself (module loading, schema compiling), and a
  // gateway must not answer its first requests with OVERLOADED because it just started.
  const SAMPLE_MS = 250;
  let armed = false;
  await app.register(underPressure, {
    maxEventLoopDelay: env.CONDUIT_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS,
    maxRssBytes: env.CONDUIT_OVERLOAD_MAX_RSS_BYTES,
    sampleInterval: SAMPLE_MS,
    pressureHandler: async (request: FastifyRequest, _reply, type: string, value: number | undefined) => {
      if (!armed || request.routeOptions.config?.operational) return;
      throw new GatewayError(
        'OVERLOADED',
        `The gateway is overloaded (${type}${value === undefined ? '' : ` ${Math.round(value)}`}); retry later`,
        {
          retryAfterS: 2,
        },
      );
    },
  });
  const perIp = limitHook(
    new LocalStore(false, false, STORE_KEYS),
    (req) => `ip:${req.ip}`,
    () => env.CONDUIT_RATE_LIMIT_PER_IP,
    () => 'per client address',
  );
  const perTenant = limitHook(
    new LocalStore(false, false, STORE_KEYS),
    (req) => `tenant:${req.tenant.name}`,
    (req) => req.tenant.limits.rateLimit,
    (req) => `tenant ${req.tenant.name}`,
  );
  const none = { beforeAuth: [], afterAuth: [] };
  const limited = { beforeAuth: [perIp], afterAuth: [perTenant] };
  return {
    armOverload() {
      setTimeout(() => {
        armed = true;
      }, 2 * SAMPLE_MS).unref();
    },
    routeHooks: (route) => (isTenantRoute(route) ? limited : none),
  };
}
