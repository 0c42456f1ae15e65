// Drain: the gateway stops taking new work but keeps its listeners open so clients can
// see it. New requests get 503 DRAINING (routes marked `operational` — /health and the
// metrics routes — keep answering), in-flight HTTP requests run to completion, drain
// hooks run (the WebSocket layer stops deliveries and closes sockets with 1001), and
// the caller learns whether all of that finished within the timeout.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Lifecycle } from '../context.js';
import { GatewayError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** /health and metrics: no drain 503, no overload shedding, no rate limit. */
    operational?: boolean;
  }
}

export interface DrainResult {
  /** True when every request and hook finished within the timeout. */
  drained: boolean;
  /** HTTP requests still running when the drain ended. */
  inflight: number;
}

export class GatewayLifecycle implements Lifecycle {
  private drainingFlag = false;
  private readonly hooks: Array<() => Promise<void> | void> = [];
  private readonly finalHooks: Array<() => Promise<void> | void> = [];
  private inflightCount = 0;
  private idleWaiters: Array<() => void> = [];
  private drainPromise: Promise<DrainResult> | undefined;

  constructor(private readonly onHookError: (err: unknown) => void = () => {}) {}

  get draining(): boolean {
    return this.drainingFlag;
  }

  get inflight(): number {
    return this.inflightCount;
  }

  onDrain(fn: () => Promise<void> | void): void {
    this.hooks.push(fn);
  }

  /** Hooks that run after every onDrain hook settled (the streams engine's stopDelivery). */
  afterDrainHooks(fn: () => Promise<void> | void): void {
    this.finalHooks.push(fn);
  }

  /**
   * Count the HTTP request answered by `res` in flight until the response closes (sent,
   * or the connection died: either way it is over). 'close' is emitted once per response,
   * so one shared listener does it: nothing is allocated per request.
   */
  track(res: ServerResponse): void {
    this.inflightCount += 1;
    res.on('close', this.endOnClose);
  }

  private readonly endOnClose = (): void => this.end();

  private end(): void {
    this.inflightCount -= 1;
    if (this.inflightCount === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private idle(): Promise<void> {
    if (this.inflightCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async runHooks(list: Array<() => Promise<void> | void>): Promise<void> {
    const results = await Promise.allSettled(list.map(async (fn) => fn()));
    for (const r of results) if (r.status === 'rejected') this.onHookError(r.reason);
  }

  /** Start draining (idempotent: a second call returns the first drain's result). */
  drain(timeoutMs: number): Promise<DrainResult> {
    if (this.drainPromise) return this.drainPromise;
    this.drainingFlag = true;
    const work = Promise.all([this.runHooks(this.hooks).then(() => this.runHooks(this.finalHooks)), this.idle()]).then(
      () => true,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    this.drainPromise = Promise.race([work, timeout]).then((drained) => {
      clearTimeout(timer);
      return { drained, inflight: this.inflightCount };
    });
    return this.drainPromise;
  }
}

/** The onRequest guard: count the request in flight, refuse new work while draining. */
export function installDrainGuard(app: FastifyInstance, lifecycle: GatewayLifecycle): void {
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    // A WebSocket upgrade is not an HTTP request in flight: its drain hook ends it.
    if (request.headers.upgrade === undefined) lifecycle.track(reply.raw);
    if (lifecycle.draining && !request.routeOptions.config?.operational) {
      done(new GatewayError('DRAINING', 'The gateway is draining for shutdown', { retryAfterS: 5 }));
      return;
    }
    done();
  });
}
