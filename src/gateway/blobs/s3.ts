// S3BlobStore: one object per upload at `<prefix><tenant>/<id>` in any S3-compatible
// service (AWS, MinIO, s3rver). The part streams through a HashMeter into
// @aws-sdk/lib-storage's `Upload`, which cuts it into parts of CONDUIT_S3_PART_SIZE and
// keeps at most CONDUIT_S3_QUEUE_SIZE of them in flight, so memory per upload is bounded
// by partSize × (queueSize + 1) whatever the file size.
//
// The digest is known only at the end of the stream, but S3 metadata is fixed when an
// object is created; so the object is first written without `sha256`, then copied onto
// itself with the full metadata (MetadataDirective REPLACE, server side). `get` treats an
// object without `sha256` metadata as not (yet) existing, so readers never see a blob
// whose integrity data is missing. Any failure aborts the upload and deletes the key.
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { EnvSettings } from '../config/env.js';
import { newBlobId, isBlobId } from './ids.js';
import { HashMeter } from './meter.js';
import type { BlobMeta, BlobStore, PutBlobInput } from './types.js';

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  prefix: string;
  queueSize: number;
  partSize: number;
  logger?: Logger;
}

/** An S3 client configured from CONDUIT_S3_* (path style and checksum settings for MinIO/s3rver). */
export function s3ClientFromEnv(env: EnvSettings): S3Client {
  const credentials =
    env.CONDUIT_S3_ACCESS_KEY_ID && env.CONDUIT_S3_SECRET_ACCESS_KEY
      ? { accessKeyId: env.CONDUIT_S3_ACCESS_KEY_ID, secretAccessKey: env.CONDUIT_S3_SECRET_ACCESS_KEY }
      : undefined;
  return new S3Client({
    region: env.CONDUIT_S3_REGION,
    ...(env.CONDUIT_S3_ENDPOINT ? { endpoint: env.CONDUIT_S3_ENDPOINT } : {}),
    ...(credentials ? { credentials } : {}),
    forcePathStyle: env.CONDUIT_S3_FORCE_PATH_STYLE,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly queueSize: number;
  private readonly partSize: number;
  private readonly logger: Logger | undefined;

  constructor(opts: S3BlobStoreOptions) {
    this.client = opts.client;
    this.bucket = opts.bucket;
    this.prefix = opts.prefix;
    this.queueSize = opts.queueSize;
    this.partSize = opts.partSize;
    this.logger = opts.logger;
  }

  /** Create the bucket when it does not exist (convenient for MinIO and tests; a no-op on AWS with an existing bucket). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  /** The object key of a blob; the tenant is URI-encoded so it cannot add path segments. */
  keyFor(tenant: string, id: string): string {
    return `${this.prefix}${encodeURIComponent(tenant)}/${id}`;
  }

  async put(input: PutBlobInput): Promise<BlobMeta> {
    const id = newBlobId();
    const key = this.keyFor(input.tenant, id);
    const meter = new HashMeter(input.maxBytes);
    const upload = new Upload({
      client: this.client,
      queueSize: this.queueSize,
      partSize: this.partSize,
      leavePartsOnError: false,
      params: { Bucket: this.bucket, Key: key, Body: meter, ContentType: input.mime },
    });
    const onAbort = () => void upload.abort().catch(() => undefined);
    input.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const feeding = pipeline(input.body, meter);
      const uploading = upload.done();
      try {
        await Promise.all([feeding, uploading]);
      } catch (err) {
        // Whichever side failed first, stop the other so neither hangs on backpressure.
        meter.destroy(err as Error);
        await Promise.allSettled([feeding, uploading]);
        throw err;
      }
      const meta: BlobMeta = {
        id,
        tenant: input.tenant,
        sha256: meter.sha256,
        size: meter.bytes,
        mime: input.mime,
        filename: input.filename,
        createdAt: new Date().toISOString(),
      };
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: key,
          CopySource: `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
          MetadataDirective: 'REPLACE',
          ContentType: input.mime,
          Metadata: {
            sha256: meta.sha256,
            size: String(meta.size),
            tenant: encodeURIComponent(meta.tenant),
            filename: encodeURIComponent(meta.filename),
            'created-at': meta.createdAt,
          },
        }),
      );
      return meta;
    } catch (err) {
      input.body.destroy();
      meter.destroy();
      await upload.abort().catch(() => undefined);
      await this.client
        .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
        .catch((cleanupErr: unknown) => this.logger?.warn({ err: cleanupErr, key }, 'could not delete a failed upload'));
      throw err;
    } finally {
      input.signal?.removeEventListener('abort', onAbort);
    }
  }

  async get(tenant: string, id: string): Promise<{ meta: BlobMeta; body: Readable } | undefined> {
    if (!isBlobId(id)) return undefined;
    let res;
    try {
      res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyFor(tenant, id) }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const body = res.Body as Readable | undefined;
    const md = res.Metadata ?? {};
    if (!body || !md.sha256) {
      body?.destroy();
      return undefined; // not committed yet (or not ours)
    }
    const meta: BlobMeta = {
      id,
      tenant,
      sha256: md.sha256,
      size: res.ContentLength ?? Number(md.size),
      mime: res.ContentType ?? 'application/octet-stream',
      filename: decodeURIComponent(md.filename ?? ''),
      createdAt: md['created-at'] ?? '',
    };
    return { meta, body };
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    if (!isBlobId(id)) return false;
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyFor(tenant, id) }));
    return true;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

export function s3StoreFromEnv(env: EnvSettings, logger?: Logger): S3BlobStore {
  return new S3BlobStore({
    client: s3ClientFromEnv(env),
    bucket: env.CONDUIT_S3_BUCKET,
    prefix: env.CONDUIT_S3_PREFIX,
    queueSize: env.CONDUIT_S3_QUEUE_SIZE,
    partSize: env.CONDUIT_S3_PART_SIZE,
    ...(logger ? { logger } : {}),
  });
}
