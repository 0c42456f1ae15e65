// A failed upload whose staged blobs cannot be discarded is logged to the app log (the
// one that is written: Fastify's own logger is off), with tenant and request id, no token.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { BlobStore, StagedBlob } from '../../src/gateway/blobs/types.js';
import { upload } from './client.js';
import { startUploadGateway, type UploadGateway } from './fixture.js';

/** Stages by reading the body away; commit and discard both fail. */
function brokenStore(): BlobStore & { discarded: number } {
  return {
    kind: 'local',
    discarded: 0,
    async stage(input) {
      let size = 0;
      for await (const chunk of input.body) size += (chunk as Buffer).length;
      const meta = {
        id: 'x',
        tenant: input.tenant,
        sha256: '0'.repeat(64),
        size,
        mime: input.mime,
        filename: input.filename,
        createdAt: new Date().toISOString(),
      };
      return { meta } satisfies StagedBlob;
    },
    async commit() {
      throw new Error('commit failed: disk gone');
    },
    async discard() {
      this.discarded++;
      throw new Error('discard failed: disk gone');
    },
    async put() {
      throw new Error('unused');
    },
    async get() {
      return undefined;
    },
    async close() {},
  };
}

let g: UploadGateway | undefined;
afterEach(async () => {
  await g?.close();
  g = undefined;
});

describe('a failed discard', () => {
  it('is logged to the app log with tenant and reqId, and never the token', async () => {
    let log = '';
    const appLog = new Writable({
      write(chunk: Buffer, _enc, cb) {
        log += chunk.toString();
        cb();
      },
    });
    const store = brokenStore();
    g = await startUploadGateway('local', { CONDUIT_LOG_LEVEL: 'info' }, { appLog, blobs: store });
    const res = await upload(g.url, 'acme-token', [{ field: 'f', filename: 'a.bin', size: 5000, seed: 1 }]);
    expect(res.status).toBe(500);
    expect(store.discarded).toBe(1);
    const lines = log
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = lines.find((l) => l.msg === 'could not discard the blobs of a failed upload');
    expect(line).toMatchObject({ tenant: 'acme', blobs: 1, err: { message: 'discard failed: disk gone' } });
    expect(typeof line?.reqId).toBe('string');
    expect(log).not.toContain('acme-token');
  });
});
