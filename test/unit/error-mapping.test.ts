import { describe, expect, it } from 'vitest';
import { ERRORS, GatewayError } from '../../src/gateway/errors.js';
import { toGatewayError } from '../../src/gateway/plugins/errors.js';

const fastifyError = (code: string, statusCode: number, message = 'm') =>
  Object.assign(new Error(message), { code, statusCode });

describe('toGatewayError', () => {
  it('passes GatewayErrors through', () => {
    const e = new GatewayError('STREAM_FULL', 'full', { retryAfterS: 3 });
    expect(toGatewayError(e)).toBe(e);
  });

  it('maps Fastify and multipart codes to catalogue codes', () => {
    const cases: Array<[string, number, string]> = [
      ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'PAYLOAD_TOO_LARGE'],
      ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'INVALID_JSON'],
      ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'INVALID_JSON'],
      ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'BAD_REQUEST'],
      ['FST_REQ_FILE_TOO_LARGE', 413, 'UPLOAD_TOO_LARGE'],
      ['FST_PARTS_LIMIT', 413, 'TOO_MANY_PARTS'],
      ['FST_FIELDS_LIMIT', 413, 'TOO_MANY_FIELDS'],
      ['FST_ERR_BAD_URL', 400, 'BAD_REQUEST'],
      ['FST_ERR_MAX_PARAM_LENGTH', 414, 'BAD_REQUEST'],
    ];
    for (const [code, status, expected] of cases) {
      const g = toGatewayError(fastifyError(code, status));
      expect(g.code).toBe(expected);
      expect(g.status).toBe(ERRORS[g.code].status);
    }
  });

  it('maps schema validation errors, unknown 4xx by status, and everything else to INTERNAL', () => {
    expect(
      toGatewayError(Object.assign(new Error('body must have x'), { validation: [{}], statusCode: 400 })).code,
    ).toBe('VALIDATION_FAILED');
    expect(toGatewayError(fastifyError('SOMETHING', 404)).code).toBe('NOT_FOUND');
    expect(toGatewayError(fastifyError('SOMETHING', 418)).code).toBe('INTERNAL');
    expect(toGatewayError(new Error('boom')).code).toBe('INTERNAL');
    expect(toGatewayError('a string').code).toBe('INTERNAL');
    // Internal details never reach the client message.
    expect(toGatewayError(new Error('secret path /etc/x')).message).not.toContain('secret');
  });
});
