// POST /v1/enqueue {to, envelope} → 200 {id, stream}. The stream name is scoped to the
// caller's tenant (plugins/stream-name.ts); an envelope nested too deeply to be framed is
// refused (streams/envelope-depth.ts); the engine raises STREAM_FULL at maxDepth.
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayContext } from '../context.js';
import { scopeStreamName } from '../plugins/stream-name.js';
import { assertEnvelopeDepth } from '../streams/envelope-depth.js';

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

// The 200 answer, for Fastify's serializer compiler (fast-json-stringify). Error answers
// keep the one error shape (plugins/errors.ts).
const okBody = {
  type: 'object',
  properties: { id: { type: 'string' }, stream: { type: 'string' } },
} as const;

export const enqueueRoutes: FastifyPluginAsync<{ ctx: GatewayContext }> = async (app, { ctx }) => {
  app.post<{ Body: EnqueueBody }>(
    '/v1/enqueue',
    { schema: { body: bodySchema, response: { 200: okBody } }, bodyLimit: ctx.env.CONDUIT_MAX_JSON_SIZE },
    // Not an async function: one promise (the engine's) per request, not two.
    (request, reply) => {
      const tenant = request.tenant.name;
      const stream = scopeStreamName(tenant, request.body.to);
      assertEnvelopeDepth(request.body.envelope, ctx.env.CONDUIT_ENVELOPE_MAX_DEPTH);
      ctx.streams.enqueue(tenant, stream, request.body.envelope).then(
        (result) => {
          ctx.metrics.countTenant(tenant, 'enqueued');
          reply.send({ id: result.id, stream: result.stream });
        },
        (err: unknown) => reply.send(err),
      );
    },
  );
};
