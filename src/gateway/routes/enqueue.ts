// POST /v1/enqueue {to, envelope} → 200 {id, stream}. The stream name is scoped to the
// caller's tenant (plugins/stream-name.ts); the engine raises STREAM_FULL at maxDepth.
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayContext } from '../context.js';
import { scopeStreamName } from '../plugins/stream-name.js';

interface EnqueueBody {
  to: string;
  envelope: unknown;
}

const bodySchema = {
  type: 'object',
  required: ['to', 'envelope'],
  additionalProperties: false,
  properties: {
    to: { type: 'string' },
    envelope: {},
  },
} as const;

export const enqueueRoutes: FastifyPluginAsync<{ ctx: GatewayContext }> = async (app, { ctx }) => {
  app.post<{ Body: EnqueueBody }>(
    '/v1/enqueue',
    { schema: { body: bodySchema }, bodyLimit: ctx.env.CONDUIT_MAX_JSON_SIZE },
    async (request) => {
      const tenant = request.tenant.name;
      const stream = scopeStreamName(tenant, request.body.to);
      const result = await ctx.streams.enqueue(tenant, stream, request.body.envelope);
      ctx.metrics.countTenant(tenant, 'enqueued');
      return { id: result.id, stream: result.stream };
    },
  );
};
