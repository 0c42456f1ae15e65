// The app factory: builds one gateway — config holder, loggers, metrics, streams engine,
// blob store, lifecycle — and two Fastify instances sharing them: the HTTP listener
// (every route, /v1/subscribe included) and the WebSocket listener (/v1/subscribe and
// /health). All state lives in the returned object, so tests can run several gateways
// in one process, each on port 0.
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import { createBlobStore } from './blobs/index.js';
import type { BlobStore } from './blobs/types.js';
import { createConfigHolder } from './config/holder.js';
import type { EnvSettings } from './config/env.js';
import type { GatewayContext } from './context.js';
import { createLogs } from './observability/loggers.js';
import { GatewayMetricsImpl } from './observability/metrics.js';
import { installAuth } from './plugins/auth.js';
import { installBodyDiscard } from './plugins/body-discard.js';
import { installErrorHandlers, makeClientErrorHandler, sendGatewayError, toGatewayError } from './plugins/errors.js';
import { GatewayLifecycle, installDrainGuard, type DrainResult } from './plugins/lifecycle.js';
import { registerLimits } from './plugins/limits.js';
import { installRequestChecks } from './plugins/request-checks.js';
import { installServerRefusals } from './plugins/server-refusals.js';
import { installStallGuard } from './plugins/stall-guard.js';
import { installRequestLog } from './plugins/request-log.js';
import { installUpgradeGuard, type UpgradeGuard } from './plugins/upgrade-guard.js';
import { adminRoutes } from './routes/admin.js';
import { enqueueRoutes } from './routes/enqueue.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { statsRoutes } from './routes/stats.js';
import { createStreamsEngine } from './streams/index.js';
import type { StreamsEngine } from './streams/types.js';
import { uploadRoutes } from './uploads/index.js';
import { SubscribeHub, subscribeRoutes } from './ws/index.js';

export interface GatewayOptions {
  env: EnvSettings;
  /** YAML path (default env.CONDUIT_CONFIG). */
  configPath?: string;
  /** A missing file is an empty config (default: only for the default path). */
  configOptional?: boolean;
  /** Where the app log goes (default: stdout). */
  appLog?: DestinationStream;
  /** Replace the engine / store built from env (tests). */
  streams?: StreamsEngine;
  blobs?: BlobStore;
}

export interface GatewayAddresses {
  httpUrl: string;
  wsUrl: string;
}

export interface Gateway {
  readonly ctx: GatewayContext;
  readonly http: FastifyInstance;
  readonly ws: FastifyInstance;
  /** Listen on CONDUIT_HTTP_PORT and CONDUIT_WS_PORT (0 = any free port). */
  listen(): Promise<GatewayAddresses>;
  addresses(): GatewayAddresses | undefined;
  /** Start draining; resolves when drained or when CONDUIT_DRAIN_TIMEOUT_MS passed. */
  drain(timeoutMs?: number): Promise<DrainResult>;
  /** Close listeners (forcibly: call drain first for a graceful stop), engine, store and logs. */
  close(): Promise<void>;
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** A URL a client on this machine can use for a bound address. */
export function urlFor(scheme: 'http' | 'ws', bind: string, port: number): string {
  let host = bind;
  if (bind === '0.0.0.0' || bind === '') host = '127.0.0.1';
  else if (bind === '::') host = '[::1]';
  else if (bind.includes(':') && !bind.startsWith('[')) host = `[${bind}]`;
  return `${scheme}://${host}:${port}`;
}

async function buildInstance(
  ctx: GatewayContext,
  lifecycle: GatewayLifecycle,
  metrics: GatewayMetricsImpl,
  prefix: string,
): Promise<{ app: FastifyInstance; armOverload: () => void; upgrades: UpgradeGuard }> {
  let seq = 0;
  // Set once the hooks exist (below): Fastify's errors before routing skip every hook.
  let onFrameworkError = (_error: FastifyError, _request: FastifyRequest, _reply: FastifyReply): void => {};
  const app = Fastify({
    logger: false,
    bodyLimit: ctx.env.CONDUIT_MAX_JSON_SIZE,
    genReqId: () => `${prefix}-${(++seq).toString(36)}`,
    requestIdHeader: false,
    // Closing sockets mid-request is the drain's call, not close()'s.
    forceCloseConnections: 'idle',
    // A request in progress with no byte moving for this long ends (plugins/stall-guard.ts).
    connectionTimeout: ctx.env.CONDUIT_HTTP_IDLE_TIMEOUT_MS,
    return503OnClosing: false,
    http: {
      // A request without Host is refused in the error shape by plugins/request-checks.ts.
      requireHostHeader: false,
      // Headers not complete this long after the request began: 408 (the clientError handler).
      headersTimeout: ctx.env.CONDUIT_HTTP_HEADERS_TIMEOUT_MS,
      // Node checks the headers deadline on this period (its default, 30 s, for the default deadline).
      connectionsCheckingInterval: Math.min(30_000, Math.ceil(ctx.env.CONDUIT_HTTP_HEADERS_TIMEOUT_MS / 2)),
    },
    // Schemas validate, they do not repair: no silent dropping of unknown keys, no coercion.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    // Malformed URLs, over-long path parameters: the one error shape too.
    frameworkErrors: (error, request, reply) => onFrameworkError(error, request, reply),
    // Malformed HTTP, headers too large or too slow (before there is a request).
    clientErrorHandler: makeClientErrorHandler(ctx.logs.app),
  });
  installErrorHandlers(app, ctx);
  installStallGuard(app.server, ctx.env.CONDUIT_HTTP_IDLE_TIMEOUT_MS);
  installServerRefusals(app.server, ctx.logs.app);
  // Upgrade requests answered over HTTP (not taken by the WebSocket route) close their socket.
  const upgrades = installUpgradeGuard(app);
  // JSON only (the uploads plugin adds multipart in its own scope): text/plain → 415.
  app.removeContentTypeParser('text/plain');
  // onRequest order matters: log timing → header checks → drain guard → overload (instance hooks), then
  // IP limit → auth → tenant limit (each route's own hooks, added by installAuth).
  const requestLog = installRequestLog(app, ctx, metrics);
  installRequestChecks(app);
  installDrainGuard(app, lifecycle);
  const limits = await registerLimits(app, ctx);
  installAuth(app, ctx, limits);
  installBodyDiscard(app);
  onFrameworkError = (error, request, reply) => {
    requestLog.logUnrouted(request, reply);
    upgrades.settleUnrouted(request, reply);
    sendGatewayError(reply, toGatewayError(error));
  };
  return { app, armOverload: limits.armOverload, upgrades };
}

export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const { env } = opts;
  const startedAt = Date.now();
  const owned = await createLogs(env, opts.appLog);
  const { logs } = owned;
  const cleanup: Array<() => Promise<void> | void> = [() => owned.close()];
  const runCleanup = async () => {
    for (const fn of cleanup.reverse()) {
      try {
        await fn();
      } catch (err) {
        logs.app.warn({ err }, 'cleanup step failed');
      }
    }
  };

  try {
    const config = await createConfigHolder({
      env,
      path: opts.configPath,
      optional: opts.configOptional,
      logger: logs.app,
    });
    const metrics = new GatewayMetricsImpl({ startedAt, memwatch: env.CONDUIT_MEMWATCH });
    cleanup.push(() => metrics.close());
    const lifecycle = new GatewayLifecycle((err) => logs.app.error({ err }, 'drain hook failed'));
    const streams =
      opts.streams ??
      (await createStreamsEngine({
        env,
        policy: (_tenant, stream) => config.current().streamPolicy(stream),
        logger: logs.app.child({ part: 'streams' }),
        metrics,
      }));
    cleanup.push(() => streams.close());
    // A backend that must be reached (redis) is reached before the gateway listens.
    await streams.ready?.();
    metrics.attachStreams(() => streams.totals());
    const blobs = opts.blobs ?? (await createBlobStore(env, logs.app.child({ part: 'blobs' })));
    cleanup.push(() => blobs.close());
    lifecycle.afterDrainHooks(() => streams.stopDelivery());
    metrics.setInflightSource(() => lifecycle.inflight);

    const ctx: GatewayContext = Object.freeze({
      env,
      config,
      streams,
      blobs,
      metrics,
      logs,
      lifecycle,
      version: readVersion(),
      startedAt,
    });

    const {
      app: http,
      armOverload: armHttp,
      upgrades: httpUpgrades,
    } = await buildInstance(ctx, lifecycle, metrics, 'h');
    cleanup.push(() => http.close());
    await http.register(healthRoutes, { ctx });
    await http.register(metricsRoutes, { ctx, metrics });
    await http.register(enqueueRoutes, { ctx });
    await http.register(statsRoutes, { ctx });
    await http.register(adminRoutes, { ctx });
    await http.register(uploadRoutes, { ctx });
    // One hub per gateway, shared by both listeners.
    const hub = new SubscribeHub(ctx);
    await http.register(subscribeRoutes, { ctx, hub });

    const { app: ws, armOverload: armWs, upgrades: wsUpgrades } = await buildInstance(ctx, lifecycle, metrics, 'w');
    cleanup.push(() => ws.close());
    await ws.register(healthRoutes, { ctx });
    await ws.register(subscribeRoutes, { ctx, hub });

    await Promise.all([http.ready(), ws.ready()]);

    let addresses: GatewayAddresses | undefined;
    let closed: Promise<void> | undefined;
    return {
      ctx,
      http,
      ws,
      addresses: () => addresses,
      async listen() {
        const host = env.CONDUIT_BIND;
        await http.listen({ host, port: env.CONDUIT_HTTP_PORT });
        await ws.listen({ host, port: env.CONDUIT_WS_PORT });
        armHttp();
        armWs();
        const port = (app: FastifyInstance) => {
          const a = app.server.address();
          return typeof a === 'object' && a ? a.port : 0;
        };
        addresses = { httpUrl: urlFor('http', host, port(http)), wsUrl: urlFor('ws', host, port(ws)) };
        logs.app.info({ event: 'listening', ...addresses }, 'conduit listening');
        return addresses;
      },
      async drain(timeoutMs = env.CONDUIT_DRAIN_TIMEOUT_MS) {
        logs.app.info({ event: 'drain.start', inflight: lifecycle.inflight, timeoutMs }, 'draining');
        const result = await lifecycle.drain(timeoutMs);
        logs.app[result.drained ? 'info' : 'warn'](
          { event: 'drain.end', ...result },
          result.drained ? 'drained' : 'drain timed out',
        );
        return result;
      },
      close() {
        closed ??= (async () => {
          // Anything still open after a drain (or without one) is cut now.
          http.server.closeAllConnections?.();
          ws.server.closeAllConnections?.();
          // Upgrade sockets are not the HTTP server's any more: cut them too.
          httpUpgrades.closeAll();
          wsUpgrades.closeAll();
          await runCleanup();
        })();
        return closed;
      },
    };
  } catch (err) {
    await runCleanup();
    throw err;
  }
}
