// One HTTP log line per request (CONDUIT_HTTP_LOG) and the request metrics. Fields:
// ts, reqId, ip, tenant, method, path (never the query string: it may carry a token),
// route, status, durMs, bytesIn, bytesOut, code (the error code), aborted, plus
// whatever the route put in request.logExtra (uploads: sha256, MB/s).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
import type { GatewayMetricsImpl } from '../observability/metrics.js';
import { tenantOf } from './auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** process.hrtime.bigint() at onRequest. */
    startedAtNs: bigint;
  }
}

const MAX_PATH = 300;

function pathOf(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path.length > MAX_PATH ? `${path.slice(0, MAX_PATH)}…` : path;
}

function numberHeader(v: unknown): number | undefined {
  const n = Number(Array.isArray(v) ? v[0] : v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

export interface RequestLog {
  /** Log a request Fastify answered before routing (no hooks run for it): call before the answer is sent. */
  logUnrouted(request: FastifyRequest, reply: FastifyReply): void;
}

export function installRequestLog(app: FastifyInstance, ctx: GatewayContext, metrics: GatewayMetricsImpl): RequestLog {
  app.decorateRequest('logExtra', null as never);
  app.decorateRequest('startedAtNs', 0n);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.startedAtNs = process.hrtime.bigint();
    request.logExtra = {};
  });

  const logged = new WeakSet<FastifyRequest>();
  const finish = (request: FastifyRequest, reply: FastifyReply | undefined) => {
    if (logged.has(request)) return;
    logged.add(request);
    const durMs = Number(process.hrtime.bigint() - request.startedAtNs) / 1e6;
    const route = request.routeOptions.url ?? '(unmatched)';
    const aborted = reply === undefined;
    // 499: the client went away before the answer (nginx's convention).
    const status = reply?.statusCode ?? 499;
    const tenant = tenantOf(request);
    metrics.recordRequest(request.method, route, status, durMs);
    if (tenant !== '-') {
      metrics.countTenant(tenant, 'requests');
      if (status >= 400) metrics.countTenant(tenant, 'errors');
    }
    const line: Record<string, unknown> = {
      reqId: request.id,
      ip: request.ip,
      tenant,
      method: request.method,
      path: pathOf(request.url),
      route,
      status,
      durMs: Math.round(durMs * 1000) / 1000,
      bytesIn: numberHeader(request.headers['content-length']) ?? 0,
      bytesOut: numberHeader(reply?.getHeader('content-length')) ?? 0,
    };
    if (request.errorCode) line.code = request.errorCode;
    if (aborted) line.aborted = true;
    // Routes may refine bytesIn/bytesOut (streamed bodies) and add fields; the
    // identifying fields stay the gateway's.
    ctx.logs.http.info({ ...line, ...request.logExtra, reqId: line.reqId, tenant, path: line.path, status });
  };

  app.addHook('onResponse', async (request, reply) => finish(request, reply));
  app.addHook('onRequestAbort', async (request) => finish(request, undefined));
  return {
    logUnrouted(request, reply) {
      request.startedAtNs = process.hrtime.bigint();
      request.logExtra = {};
      const done = () => finish(request, reply.raw.writableFinished ? reply : undefined);
      reply.raw.once('finish', done);
      reply.raw.once('close', done);
    },
  };
}
