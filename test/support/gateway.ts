// The one way tests start a real gateway (the app factory, in this process): on
// 127.0.0.1 port 0, with its own temp directory (config file, logs, local blobs) and,
// for the s3 backend, a real s3rver. `gatewaysClosedAfterEach` is the starter to use in
// a test file: whatever a test's outcome, what it started is closed after it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway/app.js';
import type { BlobStore } from '../../src/gateway/blobs/types.js';
import { envDefaults, type EnvSettings } from '../../src/gateway/config/env.js';
import { startS3rver, type S3rverFixture } from '../blobs/s3rver-fixture.js';

export interface GatewayOptions {
  /** Settings over the test defaults (ports 0, loopback, paths in the temp directory). */
  env?: Partial<EnvSettings>;
  /** The YAML config file; without it the gateway runs without one. */
  yaml?: string;
  /** Listen (default true); `false` leaves httpUrl and wsUrl empty. */
  listen?: boolean;
  /** Where the app log goes; by default its lines are parsed into `appLines`. */
  appLog?: Writable;
  /** A blob store to use instead of the one CONDUIT_BLOB_BACKEND selects. */
  blobs?: BlobStore;
  /** Start an s3rver and point the s3 blob backend at it (closed with the gateway). */
  s3?: boolean;
}

export interface TestGateway {
  gw: Gateway;
  env: EnvSettings;
  httpUrl: string;
  wsUrl: string;
  /** The temp directory holding everything below. */
  dir: string;
  configPath: string;
  httpLog: string;
  /** S3 backend: s3rver's data directory. */
  s3Dir?: string;
  /** App log lines (parsed JSON), unless `appLog` was given. */
  appLines: Array<Record<string, unknown>>;
  writeConfig(yaml: string): Promise<void>;
  /** Close the gateway (and its s3rver) and remove the temp directory; safe to call twice. */
  close(): Promise<void>;
}

/** An app log destination that drops everything. */
export const droppedLog = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

export async function startGateway(opts: GatewayOptions = {}): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'conduit-gw-'));
  let s3: S3rverFixture | undefined;
  let gw: Gateway | undefined;
  try {
    const configPath = join(dir, 'conduit.yaml');
    if (opts.yaml !== undefined) await writeFile(configPath, opts.yaml);
    const httpLog = join(dir, 'logs', 'http.jsonl');
    const settings: Partial<EnvSettings> = {
      CONDUIT_HTTP_PORT: 0,
      CONDUIT_WS_PORT: 0,
      CONDUIT_BIND: '127.0.0.1',
      CONDUIT_CONFIG: configPath,
      CONDUIT_HTTP_LOG: httpLog,
      CONDUIT_WS_LOG: join(dir, 'logs', 'ws.jsonl'),
      CONDUIT_BLOB_LOCAL_DIR: join(dir, 'blobs'),
      CONDUIT_LOG_LEVEL: 'info',
      ...opts.env,
    };
    if (opts.s3) s3 = await startS3rver();
    const env = s3 ? s3.env(settings) : envDefaults(settings);
    const appLines: Array<Record<string, unknown>> = [];
    const appLog =
      opts.appLog ??
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          for (const line of chunk.toString('utf8').split('\n'))
            if (line) appLines.push(JSON.parse(line) as Record<string, unknown>);
          cb();
        },
      });
    gw = await createGateway({
      env,
      configOptional: opts.yaml === undefined,
      appLog,
      ...(opts.blobs ? { blobs: opts.blobs } : {}),
    });
    const addresses = opts.listen === false ? { httpUrl: '', wsUrl: '' } : await gw.listen();
    const started = gw;
    const fixture = s3;
    let closing: Promise<void> | undefined;
    return {
      gw,
      env,
      ...addresses,
      dir,
      configPath,
      httpLog,
      ...(fixture ? { s3Dir: fixture.dir } : {}),
      appLines,
      writeConfig: (yaml) => writeFile(configPath, yaml),
      close() {
        closing ??= (async () => {
          await started.close();
          await fixture?.close();
          await rm(dir, { recursive: true, force: true });
        })();
        return closing;
      },
    };
  } catch (err) {
    await gw?.close();
    await s3?.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * A gateway starter for one test file: every gateway it starts is closed after each
 * test, whatever the test's outcome.
 */
export function gatewaysClosedAfterEach(): (opts?: GatewayOptions) => Promise<TestGateway> {
  const open: TestGateway[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((g) => g.close()));
  });
  return async (opts) => {
    const g = await startGateway(opts);
    open.push(g);
    return g;
  };
}
