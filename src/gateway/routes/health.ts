// GET /health: 200 {status:'ok', version, uptimeS, reload, streams} while serving, 503
// {status:'draining', ...} once a drain started. No token, never shed or rate limited.
// `streams` names the streams backend and whether it is reachable; an unreachable
// backend does not change the status code (enqueue answers 503 BACKEND_UNAVAILABLE).
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayContext } from '../context.js';

// The answer's shape, for Fastify's serializer compiler (fast-json-stringify): the same
// JSON as JSON.stringify, in a function compiled once for the route.
const healthBody = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    version: { type: 'string' },
    uptimeS: { type: 'number' },
    reload: {
      type: 'object',
      properties: {
        status: { type: 'string' },
        at: { type: 'string' },
        errors: { type: 'array', items: { type: 'string' } },
      },
    },
    streams: { type: 'object', properties: { backend: { type: 'string' }, status: { type: 'string' } } },
  },
} as const;

export const healthRoutes: FastifyPluginAsync<{ ctx: GatewayContext }> = async (app, { ctx }) => {
  app.get(
    '/health',
    { config: { auth: 'none', operational: true }, schema: { response: { 200: healthBody, 503: healthBody } } },
    (_request, reply) => {
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
      reply.code(ctx.lifecycle.draining ? 503 : 200).send(body);
    },
  );
};
