// POST /v1/upload: multipart/form-data in, one blob per file part, streamed.
//
// Order of work: take a concurrency slot (503 UPLOAD_CAPACITY + Retry-After when none),
// then iterate the parts in order. Each file part streams straight into the blob store
// (which hashes and counts on the way and enforces the part size limit); each field is
// collected. Every part is consumed or destroyed before the next is read — an unread
// file stream would stall the parser and hang the request.
//
// Failure policy: a request is all-or-nothing. Each file part is only staged (bytes
// durable, blob invisible); when every part has been read, the staged blobs are committed
// together (records + manifest lines, durable) and only then is 201 answered. If any part
// fails (limit, malformed body, client abort, store error), the staged blobs are discarded
// — nothing was committed, so no manifest line is ever written or rewritten for a failed
// request — and the error is answered (the core's body-discard hook reads and drops the
// rest of the body first, bounded, so the client sees the status). The slot is released
// only after that cleanup, so `uploads.inFlight` reaching 0 means the store is settled.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { StagedBlob } from '../blobs/types.js';
import type { GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import { rejectReason, toUploadError, type MultipartLimits } from './errors.js';
import type { UploadMetrics } from './metrics.js';
import type { UploadSlots } from './slots.js';

export interface UploadedFile {
  id: string;
  field: string;
  filename: string;
  size: number;
  sha256: string;
  mime: string;
}

export interface UploadResponse {
  files: UploadedFile[];
  fields: Record<string, unknown>;
}

/** Largest field value (busboy's fieldSize); larger values are refused, not truncated. */
export const MAX_FIELD_VALUE_BYTES = 1024 * 1024;

export interface UploadHandlerDeps {
  ctx: GatewayContext;
  slots: UploadSlots;
  metrics: UploadMetrics;
}

export function limitsFor(ctx: GatewayContext, request: FastifyRequest): MultipartLimits {
  return {
    maxPartSize: Math.min(ctx.env.CONDUIT_MULTIPART_MAX_PART_SIZE, request.tenant.limits.maxUploadSize),
    maxParts: ctx.env.CONDUIT_MULTIPART_MAX_PARTS,
    maxFields: ctx.env.CONDUIT_MULTIPART_MAX_FIELDS,
  };
}

function addField(fields: Record<string, unknown>, name: string, value: unknown): void {
  const prev = fields[name];
  if (prev === undefined) fields[name] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else fields[name] = [prev, value];
}

export function makeUploadHandler(deps: UploadHandlerDeps) {
  const { ctx, slots, metrics } = deps;

  return async function upload(request: FastifyRequest, reply: FastifyReply): Promise<UploadResponse> {
    const tenant = request.tenant;
    const grant = slots.acquire(tenant.name, request.ip, tenant.limits.maxConcurrentUploads);
    if (!grant.ok) {
      metrics.rejectedFor(`capacity_${grant.reason}`);
      throw new GatewayError('UPLOAD_CAPACITY', `too many concurrent uploads (${grant.reason} cap ${grant.limit})`, {
        retryAfterS: 1,
        details: { cap: grant.reason, limit: grant.limit },
      });
    }

    const started = process.hrtime.bigint();
    const limits = limitsFor(ctx, request);
    const staged: StagedBlob[] = [];
    const timings: number[] = [];
    const files: UploadedFile[] = [];
    const fields: Record<string, unknown> = {};
    try {
      if (!request.isMultipart())
        throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'POST /v1/upload takes multipart/form-data');
      const parts = request.parts({
        limits: {
          // One byte over the limit reaches the store, which then refuses the part: busboy
          // would otherwise truncate silently at the limit.
          fileSize: limits.maxPartSize + 1,
          parts: limits.maxParts,
          fields: limits.maxFields,
          fieldSize: MAX_FIELD_VALUE_BYTES,
        },
      });
      for await (const part of parts) {
        if (part.type === 'file') {
          const file = part as MultipartFile;
          const t0 = process.hrtime.bigint();
          const blob = await ctx.blobs.stage({
            tenant: tenant.name,
            filename: file.filename ?? '',
            mime: file.mimetype || 'application/octet-stream',
            body: file.file,
            maxBytes: limits.maxPartSize,
          });
          staged.push(blob);
          timings.push(Number(process.hrtime.bigint() - t0) / 1e9);
          const { meta } = blob;
          files.push({
            id: meta.id,
            field: file.fieldname,
            filename: meta.filename,
            size: meta.size,
            sha256: meta.sha256,
            mime: meta.mime,
          });
        } else {
          const field = part as MultipartValue;
          if (field.valueTruncated) {
            throw new GatewayError(
              'UPLOAD_TOO_LARGE',
              `field ${JSON.stringify(field.fieldname)} exceeds ${MAX_FIELD_VALUE_BYTES} bytes`,
              {
                details: { limit: MAX_FIELD_VALUE_BYTES },
              },
            );
          }
          addField(fields, field.fieldname, field.value);
        }
      }
      await ctx.blobs.commit(staged);
    } catch (raw) {
      const clientGone = request.raw.destroyed || reply.raw.destroyed;
      const err = toUploadError(raw, limits);
      metrics.rejectedFor(rejectReason(err, clientGone));
      // Fastify's own logger is off (logger: false): the app log is the one that is read.
      await ctx.blobs
        .discard(staged)
        .catch((discardErr: unknown) =>
          ctx.logs.app.error(
            { err: discardErr, tenant: tenant.name, reqId: request.id, blobs: staged.length },
            'could not discard the blobs of a failed upload',
          ),
        );
      grant.release();
      throw err;
    }
    grant.release();
    for (const [i, f] of files.entries()) metrics.file(f.size, timings[i]);

    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const bytes = files.reduce((n, f) => n + f.size, 0);
    metrics.succeeded(seconds);
    Object.assign(request.logExtra ?? {}, {
      sha256: files.length === 1 ? files[0].sha256 : files.map((f) => f.sha256),
      uploadBytes: bytes,
      uploadMBps: seconds > 0 ? Number((bytes / 1e6 / seconds).toFixed(2)) : undefined,
    });
    reply.code(201);
    return { files, fields };
  };
}
