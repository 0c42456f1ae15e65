// The hostile corpus over HTTP: requests (cases-http.ts) and multipart bodies
// (cases-multipart.ts), one gateway for the file, /health checked after every case,
// no token in any log at the end.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startGateway, type TestGateway } from '../gateway/helpers.js';
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

describe('after the HTTP corpus', () => {
  it('no log holds a token', async () => {
    await expectNoTokenInLogs(g);
  });
});
