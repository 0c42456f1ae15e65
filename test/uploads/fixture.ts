// A real gateway (the app factory) for upload tests, on 127.0.0.1 port 0, with its own
// temp directory (YAML config, logs, local blobs) and, for the s3 backend, a real s3rver.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { createGateway, type Gateway } from '../../src/gateway/app.js';
import type { BlobStore } from '../../src/gateway/blobs/types.js';
import { envDefaults, type EnvSettings } from '../../src/gateway/config/env.js';
import { startS3rver, type S3rverFixture } from '../blobs/s3rver-fixture.js';

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
  const root = await mkdtemp(join(tmpdir(), 'conduit-upl-'));
  let s3: S3rverFixture | undefined;
  let gw: Gateway | undefined;
  try {
    const configPath = join(root, 'conduit.yaml');
    await writeFile(configPath, TENANTS_YAML);
    const base: Partial<EnvSettings> = {
      CONDUIT_HTTP_PORT: 0,
      CONDUIT_WS_PORT: 0,
      CONDUIT_BIND: '127.0.0.1',
      CONDUIT_CONFIG: configPath,
      CONDUIT_HTTP_LOG: join(root, 'http.jsonl'),
      CONDUIT_WS_LOG: join(root, 'ws.jsonl'),
      CONDUIT_BLOB_LOCAL_DIR: join(root, 'blobs'),
      // The test process hosts clients, gateway and s3rver: no load shedding on loop delay.
      CONDUIT_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: 0,
    };
    let env: EnvSettings;
    if (backend === 's3') {
      s3 = await startS3rver();
      env = s3.env({ ...base, ...overrides });
    } else {
      env = envDefaults({ ...base, ...overrides });
    }
    const silent = new Writable({ write: (_c, _e, cb) => cb() });
    gw = await createGateway({ env, appLog: opts.appLog ?? silent, ...(opts.blobs ? { blobs: opts.blobs } : {}) });
    const { httpUrl } = await gw.listen();
    const getJson = async (path: string) => {
      const res = await request(`${httpUrl}${path}`, { headers: { authorization: 'Bearer acme-token' } });
      return res.body.json() as Promise<Record<string, unknown>>;
    };
    const g = gw;
    return {
      gw,
      url: httpUrl,
      env,
      dir: env.CONDUIT_BLOB_LOCAL_DIR,
      ...(s3 ? { s3Dir: s3.dir } : {}),
      uploads: async () => (await getJson('/v1/metrics')).uploads as UploadsSection,
      prometheus: async () =>
        (await request(`${httpUrl}/metrics`, { headers: { authorization: 'Bearer acme-token' } })).body.text(),
      httpLog: async () =>
        (await readFile(env.CONDUIT_HTTP_LOG, 'utf8').catch(() => ''))
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      async close() {
        await g.close();
        await s3?.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await gw?.close();
    await s3?.close();
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}
