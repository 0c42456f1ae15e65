// GET /health: 200 {status:'ok', version, uptimeS, reload} while serving, 503
// {status:'draining', ...} once a drain started. No token, never shed or rate limited.
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayContext } from '../context.js';

export const healthRoutes: FastifyPluginAsync<{ ctx: GatewayContext }> = async (app, { ctx }) => {
  app.get('/health', { config: { auth: 'none', operational: true } }, async (_request, reply) => {
    const body = {
      status: ctx.lifecycle.draining ? 'draining' : 'ok',
      version: ctx.version,
      uptimeS: Math.round((Date.now() - ctx.startedAt) / 100) / 10,
      reload: ctx.config.status(),
    };
    return reply.code(ctx.lifecycle.draining ? 503 : 200).send(body);
  });
};
