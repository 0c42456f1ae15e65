// One HTTP log line per request (CONDUIT_HTTP_LOG) and the request metrics. Fields:
// ts, reqId, ip, tenant, method, path (never the query string: it may carry a token),
// route, status, durMs, bytesIn, bytesOut, code (the error code), aborted, plus
// whatever the route put in request.logExtra (uploads: sha256, MB/s).
//
// This runs on every request, so it does the least it can there: callback hooks (no
// promise per hook), one object per line handed to a compiled serializer
// (observability/request-line.ts), a flag on the request instead of a set of logged
// requests. The line is only queued here — the log destination
// writes lines in batches (observability/loggers.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../context.js';
import type { GatewayMetricsImpl } from '../observability/metrics.js';
import { addExtraFields, type RequestLine } from '../observability/request-line.js';
import { tenantOf } from './auth.js';
import { bodyBytesRead } from './body-discard.js';
import { timedOut } from './stall-guard.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** performance.now() at onRequest. */
    startedAtMs: number;
    /** Set once this request's line was written (a request ends in one of several events). */
    logged: boolean;
  }
}

const MAX_PATH = 300;

function pathOf(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return path.length > MAX_PATH ? `${path.slice(0, MAX_PATH)}…` : path;
}

function numberHeader(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(Array.isArray(v) ? v[0] : v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

export interface RequestLog {
  /** Log a request Fastify answered before routing (no hooks run for it): call before the answer is sent. */
  logUnrouted(request: FastifyRequest, reply: FastifyReply): void;
}

export function installRequestLog(app: FastifyInstance, ctx: GatewayContext, metrics: GatewayMetricsImpl): RequestLog {
  const log = ctx.logs.requests;
  app.decorateRequest('logExtra', null as never);
  app.decorateRequest('startedAtMs', 0);
  app.decorateRequest('logged', false);
  app.addHook('onRequest', (request, _reply, done) => {
    request.startedAtMs = performance.now();
    request.logExtra = {};
    done();
  });

  const finish = (request: FastifyRequest, reply: FastifyReply | undefined) => {
    if (request.logged) return;
    request.logged = true;
    const durMs = performance.now() - request.startedAtMs;
    const route = request.routeOptions.url ?? '(unmatched)';
    // 499: the client went away before the answer (nginx's convention); 408: the stall
    // guard answered a request that stopped moving (plugins/stall-guard.ts).
    const stalled = timedOut(request.raw);
    const status = stalled ? 408 : (reply?.statusCode ?? 499);
    const tenant = tenantOf(request);
    metrics.recordRequest(request.method, route, status, durMs);
    if (tenant !== '-') {
      metrics.countTenant(tenant, 'requests');
      if (status >= 400) metrics.countTenant(tenant, 'errors');
    }
    const path = pathOf(request.url);
    const line: RequestLine = {
      reqId: request.id,
      ip: request.ip,
      tenant,
      method: request.method,
      path,
      route,
      status,
      durMs: Math.round(durMs * 1000) / 1000,
      bytesIn: bodyBytesRead(request.raw, numberHeader(request.headers['content-length'])),
      bytesOut: numberHeader(reply?.getHeader('content-length')) ?? 0,
    };
    if (request.errorCode) line.code = request.errorCode;
    else if (stalled) line.code = 'REQUEST_TIMEOUT';
    if (reply === undefined) line.aborted = true;
    addExtraFields(line, request.logExtra);
    log.write(line);
  };

  app.addHook('onResponse', (request, reply, done) => {
    finish(request, reply);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    finish(request, undefined);
    done();
  });
  return {
    logUnrouted(request, reply) {
      request.startedAtMs = performance.now();
      request.logExtra = {};
      const done = () => finish(request, reply.raw.writableFinished ? reply : undefined);
      reply.raw.once('finish', done);
      reply.raw.once('close', done);
    },
  };
}
