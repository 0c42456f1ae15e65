// GET /v1/stats?stream=NAME → the stream's figures, for the caller's tenant only.
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayContext } from '../context.js';
import { scopeStreamName } from '../plugins/stream-name.js';

const querySchema = {
  type: 'object',
  required: ['stream'],
  properties: { stream: { type: 'string' } },
} as const;

export const statsRoutes: FastifyPluginAsync<{ ctx: GatewayContext }> = async (app, { ctx }) => {
  app.get<{ Querystring: { stream: string } }>(
    '/v1/stats',
    { schema: { querystring: querySchema } },
    async (request) => {
      const tenant = request.tenant.name;
      const stream = scopeStreamName(tenant, request.query.stream);
      return ctx.streams.stats(tenant, stream);
    },
  );
};
