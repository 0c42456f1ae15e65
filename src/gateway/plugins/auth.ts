// The authentication hook (onRequest, so it also runs before a WebSocket upgrade).
// Each route says what it needs in its config: `auth: 'tenant'` (the default, so a
// route that forgets is protected), 'admin', 'metrics' or 'none'. The tenant is taken
// from the current config on every request, so a reload that removes a token takes
// effect at once.
//
// What a route needs is known when the route is added, so an onRoute hook gives each
// route its own onRequest hooks, in this order: the per-IP limit, auth, the per-tenant
// limit (plugins/limits.ts), ahead of any the route brings itself. A route without auth
// (/health) or limits gets none of them, and no request looks its route up to find out.
// Route-level hooks run after the instance's (request log, drain guard, overload), and
// unmatched URLs have no route: they answer 404 whatever the token.
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import type { GatewayContext } from '../context.js';
import { DEFAULT_TENANT } from '../config/resolved.js';
import { authenticate, checkAdmin } from './auth-check.js';
import type { Limits } from './limits.js';

const SUBSCRIBE_PATH = '/v1/subscribe';

type OnRequest = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/** The auth hook a route needs, or undefined when it needs none. */
function authHook(route: RouteOptions, ctx: GatewayContext): OnRequest | undefined {
  const mode = route.config?.auth ?? 'tenant';
  if (mode === 'none' || (mode === 'metrics' && !ctx.env.CONDUIT_PROTECT_METRICS)) return undefined;
  if (mode === 'admin') return (request, _reply, done) => done(checkAdmin(request.headers, ctx.config.current()));
  // `?token=` only for the WebSocket route (browsers cannot set headers on it).
  const withQuery = route.url === SUBSCRIBE_PATH;
  // Callback hooks (no promise per request): every check here is synchronous.
  return (request, _reply, done) => {
    const result = authenticate(
      request.headers,
      withQuery ? (request.query as Record<string, unknown>) : undefined,
      ctx.config.current(),
    );
    if (!result.ok) return done(result.error);
    request.tenant = result.tenant;
    done();
  };
}

/** Install auth and the rate limits as route-level onRequest hooks of every route added from now on. */
export function installAuth(app: FastifyInstance, ctx: GatewayContext, limits: Pick<Limits, 'routeHooks'>): void {
  app.decorateRequest('tenant', null as never);
  app.addHook('onRoute', (route) => {
    const { beforeAuth, afterAuth } = limits.routeHooks(route);
    const auth = authHook(route, ctx);
    const guards = auth ? [...beforeAuth, auth, ...afterAuth] : [...beforeAuth, ...afterAuth];
    if (guards.length === 0) return;
    const own =
      route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    // A new array: Fastify's HEAD twin of a GET route is a copy of the same options.
    route.onRequest = [...guards, ...own] as RouteOptions['onRequest'];
  });
}

/** The tenant name for logs and counters ('-' when the request was not authenticated). */
export function tenantOf(request: FastifyRequest): string {
  return (request.tenant as { name?: string } | null)?.name ?? '-';
}

export { DEFAULT_TENANT };
