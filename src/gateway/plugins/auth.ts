// The authentication hook (onRequest, so it also runs before a WebSocket upgrade).
// Each route says what it needs in its config: `auth: 'tenant'` (the default, so a
// route that forgets is protected), 'admin', 'metrics' or 'none'. The tenant is taken
// from the current config on every request, so a reload that removes a token takes
// effect at once.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
import { DEFAULT_TENANT } from '../config/resolved.js';
import { authenticate, checkAdmin } from './auth-check.js';

const SUBSCRIBE_PATH = '/v1/subscribe';

export function installAuth(app: FastifyInstance, ctx: GatewayContext): void {
  app.decorateRequest('tenant', null as never);
  // A callback hook (no promise per request): every check here is synchronous.
  app.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    // Unmatched routes answer 404 whatever the token.
    if (request.routeOptions.url === undefined) return done();
    const mode = request.routeOptions.config?.auth ?? 'tenant';
    if (mode === 'none' || (mode === 'metrics' && !ctx.env.CONDUIT_PROTECT_METRICS)) return done();
    const config = ctx.config.current();
    if (mode === 'admin') return done(checkAdmin(request.headers, config));
    // `?token=` only for the WebSocket route (browsers cannot set headers on it).
    const query = request.routeOptions.url === SUBSCRIBE_PATH ? (request.query as Record<string, unknown>) : undefined;
    const result = authenticate(request.headers, query, config);
    if (!result.ok) return done(result.error);
    request.tenant = result.tenant;
    done();
  });
}

/** The tenant name for logs and counters ('-' when the request was not authenticated). */
export function tenantOf(request: FastifyRequest): string {
  return (request.tenant as { name?: string } | null)?.name ?? '-';
}

export { DEFAULT_TENANT };
