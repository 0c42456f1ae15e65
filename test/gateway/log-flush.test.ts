// No request log line is lost when the gateway stops, although lines are written in
// batches (CONDUIT_LOG_FLUSH_MS): SIGTERM drains and closes the log files, writing what
// they buffer; a second stop signal exits at once, and the buffered lines are written
// synchronously on exit. The interval is set to its maximum so that only the stop can
// have written the lines.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childGateways } from './child.js';
import { call, enqueue, readJsonLines } from './helpers.js';
import { rawConnection } from '../support/raw-socket.js';
import { until } from '../support/until.js';

let dir: string;
const { start, ready } = childGateways(() => dir);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conduit-logflush-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A mix of answers (200, 401, 404): returns the statuses in order. */
async function someRequests(httpUrl: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const r =
      i % 3 === 0
        ? await enqueue(httpUrl, 'q', i, 'tok-1')
        : i % 3 === 1
          ? await enqueue(httpUrl, 'q', i, 'bad-token')
          : await call(`${httpUrl}/nope`);
    statuses.push(r.status);
  }
  return statuses;
}

describe('request log on stop', () => {
  it('SIGTERM: every request has its line once the process exited', async () => {
    const httpLog = join(dir, 'term.jsonl');
    const s = start({ CONDUIT_TOKENS: 'tok-1', CONDUIT_LOG_FLUSH_MS: '10000', CONDUIT_HTTP_LOG: httpLog });
    const msg = await ready(s);
    const statuses = await someRequests(msg.httpUrl, 12);
    expect(statuses).toEqual(Array.from({ length: 12 }, (_, i) => [200, 401, 404][i % 3]));
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    const lines = await readJsonLines(httpLog);
    expect(lines.map((l) => l.status)).toEqual(statuses);
    expect(lines.map((l) => l.reqId)).toEqual(Array.from({ length: 12 }, (_, i) => `h-${(i + 1).toString(36)}`));
  });

  it('a second stop signal during a drain: exit 1 at once, and the finished requests are all logged', async () => {
    const httpLog = join(dir, 'exit.jsonl');
    const s = start({ CONDUIT_TOKENS: 'tok-1', CONDUIT_LOG_FLUSH_MS: '10000', CONDUIT_HTTP_LOG: httpLog });
    const msg = await ready(s);
    const statuses = await someRequests(msg.httpUrl, 9);
    // A request whose body never completes keeps the drain from finishing.
    const slow = await rawConnection(msg.httpUrl);
    await slow.write(
      'POST /v1/enqueue HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"to":',
    );
    await until(async () => (await call(`${msg.httpUrl}/v1/metrics`)).body.http.inflight >= 2);
    s.child.kill('SIGTERM');
    await until(async () => (await call(`${msg.httpUrl}/health`)).status === 503);
    // A second signal within 1 s of the first counts as the same stop (server.ts): wait it out.
    await new Promise((r) => setTimeout(r, 1100));
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(1);
    slow.socket.destroy();
    const lines = await readJsonLines(httpLog);
    // The 9 requests, the metrics polls and the /health polls; not the unfinished one.
    expect(lines.slice(0, 9).map((l) => l.status)).toEqual(statuses);
    const paths = lines.slice(9).map((l) => l.path);
    expect(paths.length).toBeGreaterThanOrEqual(2);
    expect(new Set(paths)).toEqual(new Set(['/v1/metrics', '/health']));
    expect(lines.at(-1)).toMatchObject({ path: '/health', status: 503 });
  });
});
