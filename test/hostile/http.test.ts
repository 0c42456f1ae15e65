// The hostile corpus over HTTP: requests (cases-http.ts) and multipart bodies
// (cases-multipart.ts), one gateway for the file, /health checked after every case,
// no token in any log at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError } from '../gateway/helpers.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { upload } from '../uploads/client.js';
import { HTTP_CASES } from './cases-http.js';
import { MULTIPART_CASES } from './cases-multipart.js';
import { CORPUS_YAML, expectHealthy, expectNoTokenInLogs, runRawCase } from './corpus.js';

let g: TestGateway;
beforeAll(async () => {
  g = await startGateway({
    yaml: CORPUS_YAML,
    env: { CONDUIT_MAX_JSON_SIZE: 64 * 1024, CONDUIT_MULTIPART_MAX_PART_SIZE: 64 * 1024, CONDUIT_LOG_FLUSH_MS: 0 },
  });
});
afterAll(async () => {
  await g?.close();
});

describe('hostile HTTP requests', () => {
  for (const c of HTTP_CASES) {
    it(c.name, async () => {
      await runRawCase(g, c);
      await expectHealthy(g);
    });
  }
});

describe('hostile multipart bodies', () => {
  for (const c of MULTIPART_CASES) {
    it(c.name, async () => {
      await runRawCase(g, c);
      await expectHealthy(g);
    });
  }
});

describe('hostile blob ids that need a blob first', () => {
  it("another tenant's blob id, and the id with a changed letter: 404 BLOB_NOT_FOUND", async () => {
    const res = await upload(g.httpUrl, 'acme-token-1', [{ field: 'f', filename: 'a.bin', size: 100, seed: 1 }]);
    const id = res.body.files[0].id as string;
    expect((await call(`${g.httpUrl}/v1/blobs/${id}`, { token: 'acme-token-1' })).status).toBe(200);
    expectError(await call(`${g.httpUrl}/v1/blobs/${id}`, { token: 'globex-token-1' }), 404, 'BLOB_NOT_FOUND');
    const changed = `${id.slice(0, -1)}${id.endsWith('a') ? 'b' : 'a'}`;
    expectError(await call(`${g.httpUrl}/v1/blobs/${changed}`, { token: 'acme-token-1' }), 404, 'BLOB_NOT_FOUND');
    await expectHealthy(g);
  });
});

describe('after the HTTP corpus', () => {
  it('no log holds a token', async () => {
    await expectNoTokenInLogs(g);
  });
});
