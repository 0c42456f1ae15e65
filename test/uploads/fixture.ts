// A gateway for upload tests (test/support/gateway.ts with the upload tenants, on the
// local or s3 backend), with readers for its upload metrics and request log.
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { request } from 'undici';
import type { Gateway } from '../../src/gateway/app.js';
import type { BlobStore } from '../../src/gateway/blobs/types.js';
import type { EnvSettings } from '../../src/gateway/config/env.js';
import { droppedLog, startGateway } from '../support/gateway.js';

export type BackendName = 'local' | 's3';

export interface UploadsSection {
  inFlight: number;
  requests: number;
  files: number;
  bytes: number;
  rejected: Record<string, number>;
  avgMBps: number;
}

export interface UploadGateway {
  gw: Gateway;
  url: string;
  env: EnvSettings;
  /** Local backend: the store directory. */
  dir: string;
  /** S3 backend: s3rver's data directory. */
  s3Dir?: string;
  /** The `uploads` section of GET /v1/metrics. */
  uploads(): Promise<UploadsSection>;
  /** GET /metrics (Prometheus text). */
  prometheus(): Promise<string>;
  /** Parsed lines of the HTTP request log so far. */
  httpLog(): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export const TENANTS_YAML = `
tenants:
  acme:
    tokens: [acme-token]
    limits: { maxUploadSize: 20971520, maxConcurrentUploads: 200 }
  small:
    tokens: [small-token]
    limits: { maxUploadSize: 1000, maxConcurrentUploads: 1 }
`;

export interface UploadGatewayOptions {
  /** Destination of the app log (default: dropped). */
  appLog?: Writable;
  /** A store to use instead of the one CONDUIT_BLOB_BACKEND selects. */
  blobs?: BlobStore;
}

export async function startUploadGateway(
  backend: BackendName,
  overrides: Partial<EnvSettings> = {},
  opts: UploadGatewayOptions = {},
): Promise<UploadGateway> {
  const g = await startGateway({
    yaml: TENANTS_YAML,
    // The test process hosts clients, gateway and s3rver: no load shedding on loop delay.
    env: { CONDUIT_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: 0, ...overrides },
    appLog: opts.appLog ?? droppedLog(),
    ...(opts.blobs ? { blobs: opts.blobs } : {}),
    s3: backend === 's3',
  });
  const getJson = async (path: string) => {
    const res = await request(`${g.httpUrl}${path}`, { headers: { authorization: 'Bearer acme-token' } });
    return res.body.json() as Promise<Record<string, unknown>>;
  };
  return {
    gw: g.gw,
    url: g.httpUrl,
    env: g.env,
    dir: g.env.CONDUIT_BLOB_LOCAL_DIR,
    ...(g.s3Dir ? { s3Dir: g.s3Dir } : {}),
    uploads: async () => (await getJson('/v1/metrics')).uploads as UploadsSection,
    prometheus: async () =>
      (await request(`${g.httpUrl}/metrics`, { headers: { authorization: 'Bearer acme-token' } })).body.text(),
    httpLog: async () =>
      (await readFile(g.httpLog, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    close: () => g.close(),
  };
}
