// GET /v1/metrics (JSON) and GET /metrics (Prometheus text). A tenant token is needed
// only when CONDUIT_PROTECT_METRICS=true. Both keep answering while draining, so a
// harness can watch memory to the end.
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayContext } from '../context.js';
import type { GatewayMetricsImpl } from '../observability/metrics.js';

export const metricsRoutes: FastifyPluginAsync<{ ctx: GatewayContext; metrics: GatewayMetricsImpl }> = async (
  app,
  { metrics },
) => {
  const config = { auth: 'metrics', operational: true } as const;
  app.get('/v1/metrics', { config }, async () => metrics.json());
  app.get('/metrics', { config }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
};
