// Environment settings: every CONDUIT_* variable the gateway reads, validated once at
// start, defaults applied, the result frozen. docs/configuration.md documents each one;
// test/unit/config-docs.test.ts checks that every key here appears there.
import { z } from 'zod';
import { formatIssues } from './issues.js';

const MiB = 1024 * 1024;

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');
const list = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

/** Every environment variable, with its default. Keys are the variable names. */
export const envSchema = z.object({
  CONDUIT_HTTP_PORT: int(9087, 0, 65535),
  CONDUIT_WS_PORT: int(9088, 0, 65535),
  CONDUIT_BIND: z.string().min(1).default('127.0.0.1'),
  CONDUIT_CONFIG: z.string().min(1).default('config/conduit.yaml'),
  CONDUIT_TOKENS: list,
  CONDUIT_ADMIN_TOKEN: optionalString,
  CONDUIT_PROTECT_METRICS: bool(false),

  CONDUIT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CONDUIT_HTTP_LOG: z.string().default('reports/gateway-http.log.jsonl'),
  CONDUIT_WS_LOG: z.string().default('reports/gateway-ws.log.jsonl'),
  CONDUIT_LOG_FLUSH_MS: int(100, 0, 10_000),

  CONDUIT_STREAMS_BACKEND: z.enum(['memory', 'redis']).default('memory'),
  CONDUIT_REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  CONDUIT_REDIS_CONNECT_TIMEOUT_MS: int(10_000, 100),
  CONDUIT_STREAM_MAX_DEPTH: int(100_000, 1),
  CONDUIT_MAX_ATTEMPTS: int(5, 1, 1000),
  CONDUIT_ACK_TIMEOUT_MS: int(30_000, 10),
  CONDUIT_NACK_MAX_DELAY_MS: int(60_000, 0),

  CONDUIT_BLOB_BACKEND: z.enum(['local', 's3']).default('local'),
  CONDUIT_BLOB_LOCAL_DIR: z.string().min(1).default('data/blobs'),
  /** Worker threads hashing uploaded parts of the local store; 0 = inline; unset = 1 (0 on one core). */
  CONDUIT_BLOB_HASH_THREADS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(0).max(16).optional(),
  ),
  CONDUIT_S3_ENDPOINT: optionalString,
  CONDUIT_S3_REGION: z.string().default('us-east-1'),
  CONDUIT_S3_BUCKET: z.string().default('conduit-blobs'),
  CONDUIT_S3_PREFIX: z.string().default(''),
  CONDUIT_S3_ACCESS_KEY_ID: optionalString,
  CONDUIT_S3_SECRET_ACCESS_KEY: optionalString,
  CONDUIT_S3_FORCE_PATH_STYLE: bool(true),
  CONDUIT_S3_QUEUE_SIZE: int(4, 1, 64),
  CONDUIT_S3_PART_SIZE: int(5 * MiB, 5 * MiB),

  CONDUIT_MAX_JSON_SIZE: int(10 * MiB, 1),
  CONDUIT_ENVELOPE_MAX_DEPTH: int(64, 1, 1000),
  CONDUIT_RATE_LIMIT: int(120_000, 1),
  CONDUIT_RATE_LIMIT_PER_IP: int(120_000, 1),
  CONDUIT_OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: int(1000, 0),
  CONDUIT_OVERLOAD_MAX_RSS_BYTES: int(0, 0),

  CONDUIT_MAX_CONCURRENT_UPLOADS: int(100, 1),
  CONDUIT_MAX_CONCURRENT_UPLOADS_PER_IP: int(10, 1),
  CONDUIT_MAX_CONCURRENT_UPLOADS_PER_TENANT: int(100, 1),
  CONDUIT_MAX_UPLOAD_SIZE: int(100 * MiB, 1),
  CONDUIT_MULTIPART_MAX_PARTS: int(20, 1),
  CONDUIT_MULTIPART_MAX_FIELDS: int(10, 0),
  CONDUIT_MULTIPART_MAX_PART_SIZE: int(100 * MiB, 1),

  CONDUIT_WS_MAX_MESSAGE_SIZE: int(1 * MiB, 64),
  CONDUIT_WS_MAX_CREDIT: int(10_000, 1),
  CONDUIT_WS_MAX_INFLIGHT: int(1000, 1),
  CONDUIT_WS_MAX_CONNECTIONS: int(10_000, 1),
  CONDUIT_WS_MAX_FRAMES_PER_S: int(2000, 1),
  CONDUIT_WS_MAX_BUFFERED_BYTES: int(4 * MiB, 1024),
  CONDUIT_WS_PING_INTERVAL_MS: int(30_000, 0),

  CONDUIT_DRAIN_TIMEOUT_MS: int(30_000, 0),
  CONDUIT_HTTP_IDLE_TIMEOUT_MS: int(30_000, 0),
  CONDUIT_HTTP_HEADERS_TIMEOUT_MS: int(60_000, 100),
  CONDUIT_MEMWATCH: bool(false),
});

export type EnvSettings = Readonly<z.output<typeof envSchema>>;

export class EnvConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvConfigError';
    this.problems = problems;
  }
}

/** Parse settings from an environment (default: process.env). Throws EnvConfigError listing every problem. */
export function parseEnv(env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): EnvSettings {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    // An empty variable means "unset", as in most shells' `VAR= cmd`.
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const result = envSchema.safeParse(picked);
  if (!result.success) throw new EnvConfigError(formatIssues(result.error.issues));
  return Object.freeze(result.data);
}

/** Settings for tests: defaults, overridden by `overrides` (typed values, not strings). */
export function envDefaults(overrides: Partial<z.output<typeof envSchema>> = {}): EnvSettings {
  return Object.freeze({ ...envSchema.parse({}), ...overrides });
}
