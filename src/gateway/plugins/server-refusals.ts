// Requests Node's HTTP server answers by itself, before Fastify sees them, answered here
// in the one error shape instead (issue 12: every answer in the error shape):
//   - an `Expect` other than `100-continue`: Node writes a bare 417. Here: 417
//     EXPECTATION_FAILED, and the connection closes (the body, if any, was not read).
//   - `CONNECT` (a proxy tunnel request): with no listener Node destroys the socket
//     without a word. Here: 400 BAD_REQUEST (the gateway is not a proxy), then close.
// Neither reaches the routes, so neither has an HTTP log line (as the clientError
// handler's refusals); the app log gets one at debug level.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';
import { endWithError, rawErrorAnswer } from './errors.js';

/** How long a refused socket may take to flush the answer before it is destroyed. */
const FLUSH_MS = 1000;

export function installServerRefusals(server: Server, log: Logger): void {
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const gerr = new GatewayError('EXPECTATION_FAILED', `Expect: ${req.headers.expect} is not supported`);
    log.debug({ event: 'http.refused', code: gerr.code }, 'refused an unsupported expectation');
    endWithError(res, gerr);
  });
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    const gerr = new GatewayError('BAD_REQUEST', 'CONNECT is not supported: the gateway is not a proxy');
    log.debug({ event: 'http.refused', code: gerr.code }, 'refused a CONNECT request');
    socket.on('error', () => {});
    socket.end(rawErrorAnswer(gerr));
    setTimeout(() => socket.destroy(), FLUSH_MS).unref();
  });
}
