// GET /v1/subscribe?stream=NAME — the WebSocket route. Everything before the upgrade
// is ordinary Fastify: the gateway's onRequest hooks authenticate (header or
// `?token=`), refuse while draining and rate-limit, and this route's preHandler
// validates the stream name, so a refused upgrade is an HTTP answer (400/401/403/
// 429/503 with the usual `{"error"}` body) and never a half-open socket. After the
// upgrade the hub owns the socket.
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { GatewayContext } from '../context.js';
import { scopeStreamName } from '../plugins/stream-name.js';
import { GatewayError } from '../errors.js';
import { handshakeProblem } from './handshake.js';
import type { SubscribeHub } from './hub.js';

export const SUBSCRIBE_PATH = '/v1/subscribe';

export interface SubscribeRoutesOptions {
  ctx: GatewayContext;
  /** The gateway's hub, created by the app factory and shared by every listener of ctx. */
  hub: SubscribeHub;
}

interface SubscribeQuery {
  stream?: unknown;
}

function streamOf(request: FastifyRequest): string {
  if (!request.tenant) throw new GatewayError('UNAUTHORIZED');
  return scopeStreamName(request.tenant.name, (request.query as SubscribeQuery | undefined)?.stream);
}

export function makeSubscribeRoutes(): FastifyPluginAsync<SubscribeRoutesOptions> {
  return async function subscribeRoutes(app: FastifyInstance, opts: SubscribeRoutesOptions) {
    const { ctx } = opts;
    const { hub } = opts;
    const limit = ctx.env.CONDUIT_WS_MAX_MESSAGE_SIZE;
    await app.register(websocket, {
      options: {
        // The socket library refuses (1009, no error frame) frames above this hard cap
        // without buffering them. Frames between CONDUIT_WS_MAX_MESSAGE_SIZE and the
        // cap are read, refused by the connection with a FRAME_TOO_LARGE error frame,
        // and closed with 1009: so the error frame before 1009 is best effort.
        maxPayload: 2 * limit,
        perMessageDeflate: false,
      },
      // close() is the forced stop (a graceful stop drains first, which closes every
      // socket with 1001): cut what is left instead of waiting for close handshakes.
      preClose(done: () => void) {
        for (const socket of this.websocketServer.clients) socket.terminate();
        this.websocketServer.close(() => done());
      },
      // Socket errors (protocol violations, oversize frames, resets): ws has already
      // started the close with the right code; terminating here would lose it.
      errorHandler(error: Error, socket: WebSocket) {
        ctx.logs.app.debug({ err: error }, 'websocket error');
        if (socket.readyState === socket.CONNECTING) socket.terminate();
      },
    });
    app.addHook('onClose', async () => hub.close());
    // An upgrade refused before it is accepted (auth, drain guard, rate limits, a bad
    // stream name) gets its HTTP answer and the core's upgrade guard
    // (plugins/upgrade-guard.ts) closes the socket, as for every route.

    app.get(
      SUBSCRIBE_PATH,
      {
        websocket: true,
        // Validate before the upgrade, so a bad handshake or name is a plain HTTP 400/403.
        preHandler: async (request, reply) => {
          const problem = request.ws ? handshakeProblem(request.headers) : undefined;
          if (problem) {
            if (problem.versions) reply.header('sec-websocket-version', problem.versions);
            throw new GatewayError('INVALID_HANDSHAKE', problem.message);
          }
          streamOf(request);
        },
      },
      (socket, request) => {
        // request.raw.socket is the upgraded TCP socket the WebSocket writes to.
        hub.accept(socket, request.tenant, streamOf(request), request.raw.socket);
      },
    );
  };
}
