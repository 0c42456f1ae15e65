// A real S3 HTTP server (s3rver) on 127.0.0.1, port 0, in a temp directory, for tests.
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3ClientFromEnv } from '../../src/gateway/blobs/s3.js';
import { envDefaults, type EnvSettings } from '../../src/gateway/config/env.js';

export interface S3rverFixture {
  endpoint: string;
  dir: string;
  bucket: string;
  /** An S3 client for this server, to look at or change what the store left (destroy it after use). */
  client(): S3Client;
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
  const fixture: S3rverFixture = {
    endpoint,
    dir,
    bucket,
    client: () => s3ClientFromEnv(fixture.env()),
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
  return fixture;
}
