// Upgrade requests the WebSocket layer does not take over. @fastify/websocket routes
// every HTTP upgrade request (`Connection: Upgrade`) through Fastify on a socket the
// HTTP server has already let go of: no keep-alive handling, no closeAllConnections().
// When the answer is an ordinary HTTP response — a route that is not a WebSocket route
// (`/health`), an unknown path, a refusal by a hook (401, 429, 503 DRAINING) or by the
// route's own checks — nothing else would ever close that socket: the client would wait
// for more and the listener could never close. So such an answer says
// `Connection: close`, and once it is sent the socket is ended gracefully (the client
// reads the status first), then destroyed after a bound. Accepted upgrades are hijacked
// and never reach these hooks. closeAll() cuts every upgrade socket still open (the
// forced stop of close(); WebSocket sockets are cut there anyway).
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** How long a peer has to close its side after the answer before the socket is destroyed. */
export const UPGRADE_LINGER_MS = 1000;

export interface UpgradeGuard {
  /** For an answer Fastify sends before routing (no hooks run): close an upgrade socket after it. Call before sending. */
  settleUnrouted(request: FastifyRequest, reply: FastifyReply): void;
  /** Destroy every upgrade socket still open. */
  closeAll(): void;
}

function endGracefully(socket: Duplex): void {
  if (socket.destroyed) return;
  socket.end();
  setTimeout(() => socket.destroy(), UPGRADE_LINGER_MS).unref();
}

/** Install on the root instance (before routes), so it covers every route and the 404 handler. */
export function installUpgradeGuard(app: FastifyInstance): UpgradeGuard {
  // Sockets that came through the server's 'upgrade' event and are still open.
  const sockets = new Set<Duplex>();
  const isUpgrade = (request: FastifyRequest) => sockets.has(request.raw.socket);
  app.server.on('upgrade', (_req: unknown, socket: Duplex) => {
    if (socket.destroyed) return;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if (isUpgrade(request)) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (request, _reply, done) => {
    if (isUpgrade(request)) endGracefully(request.raw.socket);
    done();
  });
  return {
    settleUnrouted(request, reply) {
      if (!isUpgrade(request)) return;
      reply.header('connection', 'close');
      reply.raw.once('finish', () => endGracefully(request.raw.socket));
    },
    closeAll() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
}
