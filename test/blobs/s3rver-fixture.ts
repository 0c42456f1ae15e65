// A real S3 HTTP server (s3rver) on 127.0.0.1, port 0, in a temp directory, for tests.
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import { envDefaults, type EnvSettings } from '../../src/gateway/config/env.js';

export interface S3rverFixture {
  endpoint: string;
  dir: string;
  /** Gateway env for the s3 backend pointed at this server. */
  env(overrides?: Partial<EnvSettings>): EnvSettings;
  close(): Promise<void>;
}

export async function startS3rver(bucket = 'conduit-test'): Promise<S3rverFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'conduit-s3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    directory: dir,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  const addr = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${addr.port}`;
  return {
    endpoint,
    dir,
    env: (overrides = {}) =>
      envDefaults({
        CONDUIT_BLOB_BACKEND: 's3',
        CONDUIT_S3_ENDPOINT: endpoint,
        CONDUIT_S3_BUCKET: bucket,
        CONDUIT_S3_ACCESS_KEY_ID: 'S3RVER',
        CONDUIT_S3_SECRET_ACCESS_KEY: 'S3RVER',
        CONDUIT_S3_FORCE_PATH_STYLE: true,
        ...overrides,
      }),
    async close() {
      server.httpServer?.closeAllConnections?.();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
