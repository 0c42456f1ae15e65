// The gateway's loggers: JSON lines with ts and a level label, and nothing thrown by a
// late log call after close() (a socket that closes after the gateway may still log).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { envDefaults } from '../../src/gateway/config/env.js';
import { createLogs } from '../../src/gateway/observability/loggers.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('createLogs', () => {
  it('writes JSON lines, and drops (not throws) lines logged after close()', async () => {
    dir = await mkdtemp(join(tmpdir(), 'conduit-logs-'));
    const env = envDefaults({ CONDUIT_HTTP_LOG: join(dir, 'a', 'http.jsonl'), CONDUIT_WS_LOG: join(dir, 'ws.jsonl'), CONDUIT_LOG_LEVEL: 'silent' });
    const owned = await createLogs(env);
    owned.logs.http.info({ reqId: 'h-1', status: 200 });
    owned.logs.ws.info({ event: 'connect' });
    await owned.close();
    expect(() => owned.logs.http.info({ reqId: 'h-2' })).not.toThrow();
    expect(() => owned.logs.ws.info({ event: 'close' })).not.toThrow();
    expect(() => owned.logs.app.error('late')).not.toThrow();
    const http = (await readFile(env.CONDUIT_HTTP_LOG, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(http).toEqual([{ level: 'info', ts: expect.stringMatching(/^\d{4}-/), reqId: 'h-1', status: 200 }]);
    expect(JSON.parse(await readFile(env.CONDUIT_WS_LOG, 'utf8'))).toMatchObject({ event: 'connect' });
  });
});
