// A gateway for upload tests: the uploads plugin on a real socket (127.0.0.1, port 0),
// with a real blob store (local temp dir or s3rver) and tenants from a YAML-shaped config.
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createBlobStore, type BlobStore } from '../../src/gateway/blobs/index.js';
import { envDefaults, type EnvSettings } from '../../src/gateway/config/env.js';
import { validateFileConfig } from '../../src/gateway/config/file.js';
import { resolveConfig } from '../../src/gateway/config/resolved.js';
import { authenticate } from '../../src/gateway/plugins/auth-check.js';
import type { GatewayContext } from '../../src/gateway/context.js';
import { isGatewayError } from '../../src/gateway/errors.js';
import { uploadRoutes } from '../../src/gateway/uploads/index.js';
import { startS3rver, type S3rverFixture } from '../blobs/s3rver-fixture.js';

export type BackendName = 'local' | 's3';

export interface UploadGateway {
  url: string;
  env: EnvSettings;
  blobs: BlobStore;
  /** Local backend: the store directory. */
  dir: string;
  /** S3 backend: s3rver's data directory. */
  s3Dir?: string;
  /** The logExtra of the last finished request (what goes into the HTTP log line). */
  lastLogExtra(): Record<string, unknown> | undefined;
  metrics(): Record<string, unknown>;
  /** Prometheus text of the gateway's registry. */
  prometheus(): Promise<string>;
  close(): Promise<void>;
}

export const TENANTS = {
  tenants: {
    acme: { tokens: ['acme-token'], limits: { maxUploadSize: 20 * 1024 * 1024, maxConcurrentUploads: 200 } },
    small: { tokens: ['small-token'], limits: { maxUploadSize: 1000, maxConcurrentUploads: 1 } },
  },
};

export async function startUploadGateway(
  backend: BackendName,
  overrides: Partial<EnvSettings> = {},
): Promise<UploadGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'conduit-upl-'));
  let s3: S3rverFixture | undefined;
  let env: EnvSettings;
  if (backend === 's3') {
    s3 = await startS3rver();
    env = s3.env({ CONDUIT_BLOB_LOCAL_DIR: dir, ...overrides });
  } else {
    env = envDefaults({ CONDUIT_BLOB_LOCAL_DIR: dir, ...overrides });
  }
  const logger = pino({ level: 'silent' });
  const blobs = await createBlobStore(env, logger);
  const file = validateFileConfig(TENANTS);
  if (!file.ok) throw new Error(file.problems.join('\n'));
  const config = resolveConfig(file.config, env);
  const sections = new Map<string, () => unknown>();
  const registry = new Registry();
  const ctx = {
    env,
    config: { current: () => config, reload: async () => ({ status: 'ok', at: '' }), status: () => ({ status: 'ok', at: '' }) },
    blobs,
    metrics: { registry, addJsonSection: (n: string, fn: () => unknown) => sections.set(n, fn), countTenant: () => {} },
    logs: { app: logger, http: logger, ws: logger },
    lifecycle: { draining: false, onDrain: () => {} },
    version: 'test',
    startedAt: Date.now(),
  } as unknown as GatewayContext;

  const app: FastifyInstance = Fastify({ forceCloseConnections: true });
  app.decorateRequest('tenant', null as never);
  app.decorateRequest('logExtra', null as never);
  app.addHook('onRequest', async (req) => {
    const auth = authenticate(req.headers, undefined, config);
    if (!auth.ok) throw auth.error;
    req.tenant = auth.tenant;
    req.logExtra = {};
  });
  let logExtra: Record<string, unknown> | undefined;
  app.addHook('onResponse', async (req) => {
    logExtra = req.logExtra;
  });
  app.setErrorHandler((err, _req, reply) => {
    if (isGatewayError(err)) {
      if (err.retryAfterS !== undefined) reply.header('Retry-After', String(err.retryAfterS));
      return reply.code(err.status).send(err.toBody());
    }
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    return reply.code(status).send({ error: { code: 'INTERNAL', message: String((err as Error).message) } });
  });
  await app.register(uploadRoutes, { ctx });
  await app.listen({ port: 0, host: '127.0.0.1' });

  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    env,
    blobs,
    dir,
    ...(s3 ? { s3Dir: s3.dir } : {}),
    lastLogExtra: () => logExtra,
    prometheus: () => registry.metrics(),
    metrics: () => Object.fromEntries([...sections].map(([k, fn]) => [k, fn()])),
    async close() {
      await app.close();
      await blobs.close();
      await s3?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
