// Requests refused on their headers alone, in the one error shape (issue 12, cases 5 and 6):
//   - an HTTP/1.1 request without `Host`, or any request with more than one (RFC 9112
//     §3.2): 400 BAD_REQUEST and the connection closes. Node's own check answers an
//     empty 400 before any hook runs, so the server is built with
//     `requireHostHeader: false` and the check is made here; Node keeps only the first
//     of several Host lines in `headers`, so those are counted in `rawHeaders`.
//   - a body in a Content-Encoding other than `identity`, or a Transfer-Encoding other
//     than `chunked` (gzip, deflate: Node passes such bytes through undecoded): 415
//     UNSUPPORTED_ENCODING. The gateway decodes no encoding; reading gzip bytes as JSON
//     or multipart would answer a misleading INVALID_JSON / MALFORMED_MULTIPART. A
//     request without a body may name any content encoding (nothing to decode).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors.js';

function hasBody(request: FastifyRequest): boolean {
  const { headers } = request;
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

/** How many Host header lines a request has (rawHeaders alternates names and values). */
function hostLines(rawHeaders: string[]): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') n++;
  }
  return n;
}

/** The codings in a coding list the gateway cannot read (undefined: none); `understood` are the ones it can. */
export function unsupportedEncoding(
  value: string | string[] | undefined,
  understood: readonly string[] = ['identity'],
): string | undefined {
  if (value === undefined) return undefined;
  const codings = (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && !understood.includes(c));
  return codings.length > 0 ? codings.join(', ') : undefined;
}

const CHUNKED = ['chunked'];

/** Why a request's body cannot be read (undefined: it can). */
function encodingProblem(request: FastifyRequest): string | undefined {
  const transfer = unsupportedEncoding(request.headers['transfer-encoding'], CHUNKED);
  if (transfer !== undefined) return `Transfer-Encoding ${transfer} is not supported: send the body uncompressed`;
  const content = hasBody(request) ? unsupportedEncoding(request.headers['content-encoding']) : undefined;
  if (content !== undefined) return `Content-Encoding ${content} is not supported: send the body uncompressed`;
  return undefined;
}

/** Install on the root instance, after the request log's onRequest hook (so refusals are logged). */
export function installRequestChecks(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    const raw = request.raw;
    let problem: string | undefined;
    if (raw.headers.host === undefined) {
      if (raw.httpVersionMajor === 1 && raw.httpVersionMinor >= 1) problem = 'An HTTP/1.1 request needs a Host header';
    } else if (hostLines(raw.rawHeaders) > 1) {
      problem = 'A request may have only one Host header';
    }
    if (problem === undefined) return done();
    reply.header('connection', 'close');
    done(new GatewayError('BAD_REQUEST', problem));
  });
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const problem = encodingProblem(request);
    if (problem === undefined) {
      done(null, payload);
      return;
    }
    done(new GatewayError('UNSUPPORTED_ENCODING', problem));
  });
}
