// S3 backend specifics: where the objects go. Every key is CONDUIT_S3_PREFIX + the
// URI-encoded tenant + "/" + the id, so a bucket can be shared and a tenant name cannot
// add path segments.
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlobStore, type BlobStore } from '../../src/gateway/blobs/index.js';
import { dataStream } from './data.js';
import { startS3rver, type S3rverFixture } from './s3rver-fixture.js';

const logger = pino({ level: 'silent' });

async function keys(client: S3Client, bucket: string): Promise<string[]> {
  const res = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}

describe('S3BlobStore keys', () => {
  let s3: S3rverFixture;
  let client: S3Client;
  const stores: BlobStore[] = [];
  beforeAll(async () => {
    s3 = await startS3rver();
    client = s3.client();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    client?.destroy();
    await s3?.close();
  });

  const open = async (prefix: string) => {
    const store = await createBlobStore(s3.env({ CONDUIT_S3_PREFIX: prefix }), logger);
    stores.push(store);
    return store;
  };
  const put = (store: BlobStore, tenant: string) =>
    store.put({ tenant, filename: 'f', mime: 'text/plain', body: dataStream(100, 1), maxBytes: 1000 });

  it('puts every object under CONDUIT_S3_PREFIX/<tenant>/<id>, the tenant URI-encoded; a store with another prefix does not see them', async () => {
    const a = await open('team-a/blobs/');
    const b = await open('team-b/');
    const plain = await put(a, 'acme');
    const odd = await put(a, 'x/../y');
    expect(await keys(client, s3.bucket)).toEqual(
      [`team-a/blobs/acme/${plain.id}`, `team-a/blobs/x%2F..%2Fy/${odd.id}`].sort(),
    );
    const own = await a.get('acme', plain.id);
    expect(own?.meta.sha256).toBe(plain.sha256);
    own?.body.destroy();
    expect(await b.get('acme', plain.id)).toBeUndefined();
  });
});
