// The hostile corpus on slow, partial and odd sockets (cases-sockets.ts), against one
// gateway with short timeouts; /health checked after every case, no token in any log.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { SOCKET_CASES, SOCKET_TIMERS } from './cases-sockets.js';
import { CORPUS_YAML, expectHealthy, expectNoTokenInLogs, runRawCase } from './corpus.js';

let g: TestGateway;
beforeAll(async () => {
  g = await startGateway({
    yaml: CORPUS_YAML,
    env: {
      CONDUIT_HTTP_IDLE_TIMEOUT_MS: SOCKET_TIMERS.idleMs,
      CONDUIT_HTTP_HEADERS_TIMEOUT_MS: SOCKET_TIMERS.headersMs,
      CONDUIT_WS_PING_INTERVAL_MS: SOCKET_TIMERS.pingMs,
      CONDUIT_LOG_FLUSH_MS: 0,
    },
  });
});
afterAll(async () => {
  await g?.close();
});

describe('hostile sockets', () => {
  for (const c of SOCKET_CASES) {
    it(c.name, async () => {
      await runRawCase(g, c);
      await expectHealthy(g);
    });
  }
});

describe('after the socket corpus', () => {
  it('no log holds a token', async () => {
    await expectNoTokenInLogs(g);
  });
});
