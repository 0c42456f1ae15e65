// POST /v1/admin/reload: re-read the YAML file now (as SIGHUP does). Needs
// CONDUIT_ADMIN_TOKEN. 200 {reloaded:true, at}; 400 CONFIG_INVALID with
// `details.problems` when the file is invalid (the old config stays in force).
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';

export const adminRoutes: FastifyPluginAsync<{ ctx: GatewayContext }> = async (app, { ctx }) => {
  app.post('/v1/admin/reload', { config: { auth: 'admin' } }, async () => {
    const status = await ctx.config.reload();
    if (status.status === 'failed') {
      throw new GatewayError(
        'CONFIG_INVALID',
        'The configuration file is invalid; the previous configuration stays in force',
        {
          details: { problems: status.errors ?? [] },
        },
      );
    }
    return { reloaded: true, at: status.at };
  });
};
