// The hostile corpus over WebSocket: upgrade requests and frames (cases-ws.ts), one
// gateway for the file, /health checked after every case, no token in any log at the end.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { FRAME_CASES, HANDSHAKE_CASES } from './cases-ws.js';
import { CORPUS_YAML, expectHealthy, expectNoTokenInLogs, runFrameCase, runRawCase } from './corpus.js';

let g: TestGateway;
beforeAll(async () => {
  g = await startGateway({
    yaml: CORPUS_YAML,
    env: { CONDUIT_WS_MAX_MESSAGE_SIZE: 4096, CONDUIT_LOG_FLUSH_MS: 0 },
  });
});
afterAll(async () => {
  await g?.close();
});

describe('hostile WebSocket upgrades', () => {
  for (const c of HANDSHAKE_CASES) {
    it(c.name, async () => {
      await runRawCase(g, c);
      await expectHealthy(g);
    });
  }
});

describe('hostile WebSocket frames', () => {
  FRAME_CASES.forEach((c, i) => {
    it(c.name, async () => {
      await runFrameCase(g, c, `frames-${i}`);
      await expectHealthy(g);
    });
  });
});

describe('after the WebSocket corpus', () => {
  it('no log holds a token', async () => {
    await expectNoTokenInLogs(g);
  });
});
