// Load limits. Rate limits come from @fastify/rate-limit's store (fixed one-minute
// windows): one per client IP (CONDUIT_RATE_LIMIT_PER_IP) checked before auth, one per
// tenant (its `limits.rateLimit`, re-read from the current config so reloads apply)
// checked after. They apply to tenant routes only — operational routes (/health,
// metrics) and the admin API are exempt — and a WebSocket upgrade counts once, like
// any request; frames on an open socket are the WebSocket layer's business.
// Overload shedding is @fastify/under-pressure (event-loop delay, RSS).
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

function isTenantRoute(request: FastifyRequest): boolean {
  if (request.routeOptions.url === undefined) return false;
  const config = request.routeOptions.config;
  if (config?.operational) return false;
  return (config?.auth ?? 'tenant') === 'tenant';
}

async function check(limiter: Limiter, request: FastifyRequest, what: string): Promise<void> {
  const r = await limiter(request);
  if (r.isAllowed || !r.isExceeded) return;
  throw new GatewayError('RATE_LIMITED', `Rate limit of ${r.max} requests per minute exceeded (${what})`, {
    retryAfterS: Math.max(1, r.ttlInSeconds),
  });
}

/** Register @fastify/rate-limit (no global hook) and under-pressure; returns the two hook installers. */
export async function registerLimits(app: FastifyInstance, ctx: GatewayContext) {
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
      throw new GatewayError('OVERLOADED', `The gateway is overloaded (${type}${value === undefined ? '' : ` ${Math.round(value)}`}); retry later`, {
        retryAfterS: 2,
      });
    },
  });
  await app.register(rateLimit, { global: false });
  const perIp = app.createRateLimit({
    keyGenerator: (req) => `ip:${req.ip}`,
    max: env.CONDUIT_RATE_LIMIT_PER_IP,
    timeWindow: 60_000,
  });
  const perTenant = app.createRateLimit({
    keyGenerator: (req) => `tenant:${req.tenant.name}`,
    max: (req) => req.tenant.limits.rateLimit,
    timeWindow: 60_000,
  });
  return {
    /** Start overload shedding (call once listening). */
    armOverload() {
      setTimeout(() => {
        armed = true;
      }, 2 * SAMPLE_MS).unref();
    },
    /** Before auth: the per-IP limit. */
    installIpLimit() {
      app.addHook('onRequest', async (request) => {
        if (isTenantRoute(request)) await check(perIp, request, 'per client address');
      });
    },
    /** After auth: the per-tenant limit. */
    installTenantLimit() {
      app.addHook('onRequest', async (request) => {
        if (isTenantRoute(request)) await check(perTenant, request, `tenant ${request.tenant.name}`);
      });
    },
  };
}
