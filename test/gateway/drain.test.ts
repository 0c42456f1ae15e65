// Drain: listeners stay open, /health says draining, new work gets 503 DRAINING,
// in-flight requests finish, drain hooks run, and the result says whether it was in time.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { call, enqueue, expectError } from './helpers.js';
import { gatewaysClosedAfterEach, type TestGateway } from '../support/gateway.js';
import { until } from '../support/until.js';

const gateway = gatewaysClosedAfterEach();

/** HTTP requests in flight (the lifecycle object also counts them for the drain). */
const inflight = (g: TestGateway) => (g.gw.ctx.lifecycle as unknown as { inflight: number }).inflight;

/** An enqueue whose body arrives in two halves; the second half waits for `release()`. */
function slowEnqueue(base: string) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const json = JSON.stringify({ to: 'slow', envelope: { n: 1 } });
  async function* body() {
    yield json.slice(0, 10);
    await gate;
    yield json.slice(10);
  }
  const response = request(`${base}/v1/enqueue`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: Readable.from(body()),
  }).then(async (r) => ({ status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> }));
  return { release, response };
}

/** A multipart upload of one file whose second half waits for `release()`. */
function slowUpload(base: string) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const boundary = 'conduit-drain-test';
  const data = Buffer.alloc(256 * 1024, 7);
  const head = `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="d.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  async function* body() {
    yield Buffer.from(head);
    yield data.subarray(0, data.length / 2);
    await gate;
    yield data.subarray(data.length / 2);
    yield Buffer.from(tail);
  }
  const response = request(`${base}/v1/upload`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: Readable.from(body()),
  }).then(async (r) => ({
    status: r.statusCode,
    body: (await r.body.json()) as { files: Array<{ size: number; sha256: string }> },
  }));
  return { release, response, sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
}

describe('drain', () => {
  it('lets an upload in flight finish while new uploads get 503 DRAINING', async () => {
    const g = await gateway();
    const slow = slowUpload(g.httpUrl);
    await until(() => inflight(g) >= 1);
    const draining = g.gw.drain(10_000);
    expectError(
      await call(`${g.httpUrl}/v1/upload`, {
        body: 'x',
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
      }),
      503,
      'DRAINING',
    );
    slow.release();
    const done = await slow.response;
    expect(done.status).toBe(201);
    expect(done.body.files).toEqual([expect.objectContaining({ size: slow.size, sha256: slow.sha256 })]);
    await expect(draining).resolves.toEqual({ drained: true, inflight: 0 });
  });

  it('finishes in-flight requests, refuses new ones, runs drain hooks, reports drained', async () => {
    const g = await gateway();
    const hookRan: string[] = [];
    g.gw.ctx.lifecycle.onDrain(async () => {
      hookRan.push('ws');
    });
    const slow = slowEnqueue(g.httpUrl);
    await until(() => inflight(g) >= 1);
    const draining = g.gw.drain(10_000);
    expect(g.gw.ctx.lifecycle.draining).toBe(true);

    const health = await call(`${g.httpUrl}/health`);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'draining', version: expect.any(String), reload: { status: 'ok' } });
    const refused = await enqueue(g.httpUrl, 'q', 1);
    expectError(refused, 503, 'DRAINING');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await call(`${g.httpUrl}/v1/metrics`)).status).toBe(200);
    expect(hookRan).toEqual(['ws']);

    slow.release();
    const done = await slow.response;
    expect(done.status).toBe(200);
    expect(done.body.stream).toBe('slow');
    await expect(draining).resolves.toEqual({ drained: true, inflight: 0 });
  });

  it('reports drained: false when the timeout passes first', async () => {
    const g = await gateway();
    const slow = slowEnqueue(g.httpUrl);
    const settled = slow.response.catch((err: unknown) => err);
    await until(() => inflight(g) >= 1);
    const started = Date.now();
    const result = await g.gw.drain(300);
    expect(result).toEqual({ drained: false, inflight: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await g.gw.close();
    slow.release();
    await settled;
  });
});
