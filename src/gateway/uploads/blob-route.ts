// GET /v1/blobs/:id: stream a blob back. ETag is the quoted sha256 (If-None-Match → 304).
// The stored mime type comes from the client, so the response also carries
// `X-Content-Type-Options: nosniff` and `Content-Disposition: attachment` to keep a
// stored HTML file from running in a browser on the gateway's origin.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
import { isBlobId } from '../blobs/ids.js';
import { GatewayError } from '../errors.js';

function contentDisposition(filename: string): string {
  if (!filename) return 'attachment';
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export function makeBlobHandler(ctx: GatewayContext) {
  return async function getBlob(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) {
    // Strict shape check before the id goes anywhere near a path or a key (the stores check again).
    const { id } = request.params;
    const got = isBlobId(id) ? await ctx.blobs.get(request.tenant.name, id) : undefined;
    if (!got) throw new GatewayError('BLOB_NOT_FOUND', `no blob ${JSON.stringify(id.slice(0, 64))} for this tenant`);
    const { meta, body } = got;
    const etag = `"${meta.sha256}"`;
    reply.header('ETag', etag);
    reply.header('X-Content-Type-Options', 'nosniff');
    if (request.headers['if-none-match'] === etag) {
      body.destroy();
      return reply.code(304).send();
    }
    reply.header('Content-Length', meta.size);
    reply.header('Content-Type', meta.mime);
    reply.header('Content-Disposition', contentDisposition(meta.filename));
    return reply.send(body);
  };
}
