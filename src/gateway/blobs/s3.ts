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
// whose integrity data is missing. That copy is the commit (`commit`, once the whole
// request has succeeded); any failure before it aborts the upload and deletes the key
// (`discard` deletes staged objects of a failed request).
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
import type { BlobMeta, BlobStore, PutBlobInput, StagedBlob } from './types.js';

/** A staged S3 blob: its object exists without `sha256` metadata, so `get` ignores it. */
class S3StagedBlob implements StagedBlob {
  constructor(
    readonly meta: BlobMeta,
    readonly key: string,
  ) {}
}

function asS3(blob: StagedBlob): S3StagedBlob {
  if (!(blob instanceof S3StagedBlob)) throw new TypeError('not a blob staged by an S3BlobStore');
  return blob;
}

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

  async stage(input: PutBlobInput): Promise<StagedBlob> {
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
    } catch (err) {
      input.body.destroy();
      meter.destroy();
      await upload.abort().catch(() => undefined);
      await this.deleteKey(key);
      throw err;
    } finally {
      input.signal?.removeEventListener('abort', onAbort);
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
    return new S3StagedBlob(meta, key);
  }

  /** Copy each object onto itself with its full metadata: from then on `get` sees it. */
  async commit(blobs: readonly StagedBlob[]): Promise<void> {
    const staged = blobs.map(asS3);
    try {
      // Every copy settles before any delete: a delete racing a copy still in flight could leave that object behind.
      const copied = await Promise.allSettled(
        staged.map(({ meta, key }) =>
          this.client.send(
            new CopyObjectCommand({
              Bucket: this.bucket,
              Key: key,
              CopySource: `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
              MetadataDirective: 'REPLACE',
              ContentType: meta.mime,
              Metadata: {
                sha256: meta.sha256,
                size: String(meta.size),
                tenant: encodeURIComponent(meta.tenant),
                filename: encodeURIComponent(meta.filename),
                'created-at': meta.createdAt,
              },
            }),
          ),
        ),
      );
      const failed = copied.find((c): c is PromiseRejectedResult => c.status === 'rejected');
      if (failed) throw failed.reason;
    } catch (err) {
      await this.discard(staged);
      throw err;
    }
  }

  async discard(blobs: readonly StagedBlob[]): Promise<void> {
    await Promise.all(blobs.map((b) => this.deleteKey(asS3(b).key)));
  }

  async put(input: PutBlobInput): Promise<BlobMeta> {
    const staged = await this.stage(input);
    await this.commit([staged]);
    return staged.meta;
  }

  private async deleteKey(key: string): Promise<void> {
    await this.client
      .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
      .catch((cleanupErr: unknown) => this.logger?.warn({ err: cleanupErr, key }, 'could not delete a failed upload'));
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
