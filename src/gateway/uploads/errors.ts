// Map what @fastify/multipart and busboy throw onto the gateway's error catalogue, and
// each error onto the metrics' reject reason.
import { GatewayError, isGatewayError } from '../errors.js';
import type { RejectReason } from './metrics.js';

export interface MultipartLimits {
  maxPartSize: number;
  maxParts: number;
  maxFields: number;
}

/** A GatewayError for anything thrown while reading the multipart body. */
export function toUploadError(err: unknown, limits: MultipartLimits): GatewayError {
  if (isGatewayError(err)) return err;
  const e = err as { code?: string; message?: string };
  switch (e?.code) {
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
      return new GatewayError('TOO_MANY_PARTS', `the body has more than ${limits.maxParts} parts`, {
        details: { limit: limits.maxParts },
      });
    case 'FST_FIELDS_LIMIT':
      return new GatewayError('TOO_MANY_FIELDS', `the body has more than ${limits.maxFields} fields`, {
        details: { limit: limits.maxFields },
      });
    case 'FST_REQ_FILE_TOO_LARGE':
      return new GatewayError('UPLOAD_TOO_LARGE', `a part exceeds the part size limit of ${limits.maxPartSize} bytes`, {
        details: { limit: limits.maxPartSize },
      });
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'POST /v1/upload takes multipart/form-data');
    case 'FST_MP_PREMATURE_CLOSE':
      return new GatewayError('MALFORMED_MULTIPART', 'the client closed the request before the body ended', {
        cause: err,
      });
    case 'FST_PROTO_VIOLATION':
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return new GatewayError('MALFORMED_MULTIPART', e.message, { cause: err });
    default:
      break;
  }
  // busboy's own parse errors carry no code, only a message.
  const msg = e?.message ?? '';
  if (/multipart|boundary|part|unexpected end|malformed|terminated early/i.test(msg)) {
    return new GatewayError('MALFORMED_MULTIPART', `malformed multipart body: ${msg}`, { cause: err });
  }
  return new GatewayError('INTERNAL', undefined, { cause: err });
}

export function rejectReason(err: GatewayError, clientGone: boolean): RejectReason {
  if (clientGone) return 'client_aborted';
  switch (err.code) {
    case 'UPLOAD_TOO_LARGE':
      return 'too_large';
    case 'TOO_MANY_PARTS':
      return 'too_many_parts';
    case 'TOO_MANY_FIELDS':
      return 'too_many_fields';
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 'unsupported_media_type';
    case 'MALFORMED_MULTIPART':
    case 'PAYLOAD_TOO_LARGE':
      return 'malformed';
    case 'DRAINING':
      return 'draining';
    default:
      return 'internal';
  }
}
