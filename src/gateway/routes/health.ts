// GET /health: 200 {status:'ok', version, uptimeS, reload, streams} while serving, 503
// {status:'draining', ...} once a drain started. No token, never shed or rate limited.
// `streams` names the streams backend and whether it is reachable; an unreachable
// backend does not change the status code (enqueue answers 503 BACKEND_UNAVAILABLE).
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayContext } from '../context.js';

export const healthRoutes: FastifyPluginAsync<{ ctx: GatewayContext }> = async (app, { ctx }) => {
  app.get('/health', { config: { auth: 'none', operational: true } }, async (_request, reply) => {
    const body = {
      status: ctx.lifecycle.draining ? 'draining' : 'ok',
      version: ctx.version,
      uptimeS: Math.round((Date.now() - ctx.startedAt) / 100) / 10,
      reload: ctx.config.status(),
      streams: {
        backend: ctx.env.CONDUIT_STREAMS_BACKEND,
        status: ctx.streams.connected?.() === false ? 'unavailable' : 'ok',
      },
    };
    return reply.code(ctx.lifecycle.draining ? 503 : 200).send(body);
  });
};
