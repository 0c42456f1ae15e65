// The gateway's loggers: JSON lines with ts and a level label, nothing thrown by a late
// log call after close() (a socket that closes after the gateway may still log), and the
// request/WebSocket files' batching: lines wait in a buffer, reach the file within
// CONDUIT_LOG_FLUSH_MS, and close() writes every buffered line.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { envDefaults } from '../../src/gateway/config/env.js';
import { createLogs, LOG_BATCH_BYTES } from '../../src/gateway/observability/loggers.js';
import { requestLineOf } from '../support/request-line.js';
import { until } from '../support/until.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function logsWith(flushMs: number) {
  dir = await mkdtemp(join(tmpdir(), 'conduit-logs-'));
  const env = envDefaults({
    CONDUIT_HTTP_LOG: join(dir, 'a', 'http.jsonl'),
    CONDUIT_WS_LOG: join(dir, 'ws.jsonl'),
    CONDUIT_LOG_LEVEL: 'silent',
    CONDUIT_LOG_FLUSH_MS: flushMs,
  });
  return { env, owned: await createLogs(env) };
}

const lines = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('createLogs', () => {
  it('writes JSON lines, and drops (not throws) lines logged after close()', async () => {
    const { env, owned } = await logsWith(100);
    owned.logs.http.info({ reqId: 'h-1', status: 200 });
    owned.logs.ws.info({ event: 'connect' });
    await owned.close();
    expect(() => owned.logs.http.info({ reqId: 'h-2' })).not.toThrow();
    expect(() => owned.logs.ws.info({ event: 'close' })).not.toThrow();
    expect(() => owned.logs.app.error('late')).not.toThrow();
    expect(await lines(env.CONDUIT_HTTP_LOG)).toEqual([
      { level: 'info', ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/), reqId: 'h-1', status: 200 },
    ]);
    expect(await lines(env.CONDUIT_WS_LOG)).toMatchObject([{ event: 'connect' }]);
  });

  it('batches lines: none written at once, all written within CONDUIT_LOG_FLUSH_MS', async () => {
    const { env, owned } = await logsWith(200);
    try {
      for (let i = 0; i < 3; i++) owned.logs.http.info({ reqId: `h-${i}` });
      // Fewer bytes than a batch: nothing was handed to the file yet.
      expect(await lines(env.CONDUIT_HTTP_LOG)).toEqual([]);
      const written = await until(async () => {
        const l = await lines(env.CONDUIT_HTTP_LOG);
        return l.length === 3 ? l : undefined;
      }, 5000);
      expect(written.map((l) => l.reqId)).toEqual(['h-0', 'h-1', 'h-2']);
    } finally {
      await owned.close();
    }
  });

  it('writes a full batch without waiting for the interval', async () => {
    const { env, owned } = await logsWith(10_000);
    try {
      const pad = 'x'.repeat(200);
      const n = Math.ceil(LOG_BATCH_BYTES / 200) + 1;
      for (let i = 0; i < n; i++) owned.logs.http.info({ reqId: `h-${i}`, pad });
      const written = await until(
        async () => ((await lines(env.CONDUIT_HTTP_LOG)).length > 0 ? true : undefined),
        5000,
      );
      expect(written).toBe(true);
    } finally {
      await owned.close();
    }
  });

  it('close() writes every buffered line, whatever the interval', async () => {
    const { env, owned } = await logsWith(10_000);
    for (let i = 0; i < 50; i++) owned.logs.http.info({ reqId: `h-${i}` });
    for (let i = 0; i < 5; i++) owned.logs.ws.info({ event: 'close', connId: `c-${i}` });
    await owned.close();
    expect((await lines(env.CONDUIT_HTTP_LOG)).map((l) => l.reqId)).toEqual(
      Array.from({ length: 50 }, (_, i) => `h-${i}`),
    );
    expect(await lines(env.CONDUIT_WS_LOG)).toHaveLength(5);
  });

  it('many batches of multi-byte lines: every line whole, in order, byte for byte', async () => {
    const { env, owned } = await logsWith(10_000);
    // 3-byte and 4-byte UTF-8 characters; lines of differing lengths cross batch and write boundaries.
    const text = (i: number) => `€ ${'ü'.repeat(i % 97)} 𝄞 ${i}`;
    const n = Math.ceil((20 * LOG_BATCH_BYTES) / 150);
    for (let i = 0; i < n; i++) owned.logs.http.info({ reqId: `h-${i}`, text: text(i) });
    await owned.close();
    const got = await lines(env.CONDUIT_HTTP_LOG);
    expect(got).toHaveLength(n);
    expect(got.every((l, i) => l.reqId === `h-${i}` && l.text === text(i))).toBe(true);
  });

  it('keeps the order lines were logged in: a request line queued for the turn’s end is written before a later http or ws line to the same file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'conduit-logs-'));
    const file = join(dir, 'both.jsonl');
    const env = envDefaults({ CONDUIT_HTTP_LOG: file, CONDUIT_WS_LOG: file, CONDUIT_LOG_LEVEL: 'silent' });
    const owned = await createLogs(env);
    const request = (reqId: string) => requestLineOf({ reqId });
    owned.logs.requests.write(request('r-1'));
    owned.logs.http.info({ reqId: 'h-1' });
    owned.logs.requests.write(request('r-2'));
    owned.logs.ws.info({ reqId: 'w-1' });
    owned.logs.requests.write(request('r-3'));
    await owned.close();
    expect((await lines(file)).map((l) => l.reqId)).toEqual(['r-1', 'h-1', 'r-2', 'w-1', 'r-3']);
  });

  it('CONDUIT_LOG_FLUSH_MS=0 writes each line as it is logged', async () => {
    const { env, owned } = await logsWith(0);
    try {
      owned.logs.http.info({ reqId: 'h-1' });
      const written = await until(async () => {
        const l = await lines(env.CONDUIT_HTTP_LOG);
        return l.length === 1 ? l : undefined;
      }, 5000);
      expect(written[0]).toMatchObject({ reqId: 'h-1' });
    } finally {
      await owned.close();
    }
  });
});
