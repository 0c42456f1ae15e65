// Public entry of the uploads feature: the `uploadRoutes` plugin (POST /v1/upload,
// GET /v1/blobs/:id). Register it with `{ ctx }` after the auth hook is installed.
import multipart from '@fastify/multipart';
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayContext } from '../context.js';
import { makeBlobHandler } from './blob-route.js';
import { UploadMetrics } from './metrics.js';
import { UploadSlots } from './slots.js';
import { MAX_FIELD_VALUE_BYTES, makeUploadHandler } from './upload-route.js';

export interface UploadRoutesOptions {
  ctx: GatewayContext;
}

export const uploadRoutes: FastifyPluginAsync<UploadRoutesOptions> = async (app, opts) => {
  const { ctx } = opts;
  const env = ctx.env;
  const slots = new UploadSlots({
    global: env.CONDUIT_MAX_CONCURRENT_UPLOADS,
    perIp: env.CONDUIT_MAX_CONCURRENT_UPLOADS_PER_IP,
  });
  const metrics = new UploadMetrics(ctx.metrics.registry, () => slots.inFlight);
  ctx.metrics.addJsonSection('uploads', () => metrics.snapshot());

  // In this plugin's scope only multipart bodies are parsed. Anything else is accepted
  // unread by a catch-all parser, so the handler can answer 415 with its own error and
  // discard the body (instead of a parser error with the body left on the wire).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  await app.register(multipart, {
    limits: {
      fileSize: env.CONDUIT_MULTIPART_MAX_PART_SIZE + 1,
      parts: env.CONDUIT_MULTIPART_MAX_PARTS,
      fields: env.CONDUIT_MULTIPART_MAX_FIELDS,
      fieldSize: MAX_FIELD_VALUE_BYTES,
    },
    // The blob store enforces the part size (it sees limit + 1 bytes and refuses).
    throwFileSizeLimit: false,
  });

  app.post('/v1/upload', makeUploadHandler({ ctx, slots, metrics }));
  app.get('/v1/blobs/:id', makeBlobHandler(ctx));
};

export { UploadSlots, type CapacityReason } from './slots.js';
export { UploadMetrics, type RejectReason } from './metrics.js';
export type { UploadedFile, UploadResponse } from './upload-route.js';
