import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConduitClient,
  CreditWindow,
  DeliveryClock,
  DeliveryLedger,
  generatedBody,
  Metrics,
  uploadGenerated,
  WsSubscriber,
} from '../../src/load/index.js';
import { knownDigest, seededChunks, seededDigest } from '../../src/load/drivers/generated-bytes.js';
import { droppedLog, startGateway, type TestGateway } from '../support/gateway.js';
import { closedPort } from '../support/ports.js';
import { until } from '../support/until.js';

let gateway: TestGateway;
beforeAll(async () => {
  // Many attempts: random nacks must never dead-letter a message in this test.
  gateway = await startGateway({
    env: {
      CONDUIT_LOG_LEVEL: 'warn',
      CONDUIT_MULTIPART_MAX_PART_SIZE: 4 * 1024 * 1024,
      CONDUIT_MAX_ATTEMPTS: 100,
    },
    appLog: droppedLog(),
  });
});
afterAll(async () => {
  await gateway?.close();
});

describe('CreditWindow', () => {
  it('tops the window up when outstanding credit falls to refillAt', () => {
    const w = new CreditWindow({ window: 4, refillAt: 1 });
    expect(w.initial()).toBe(4);
    expect([w.onDelivery(), w.onDelivery(), w.onDelivery()]).toEqual([0, 0, 3]);
    expect(w.outstanding).toBe(4);
    expect(w.totalGranted).toBe(7);
    const strict = new CreditWindow({ window: 1, refillAt: 0 });
    expect([strict.initial(), strict.onDelivery(), strict.onDelivery()]).toEqual([1, 1, 1]);
  });
});

describe('generated bodies', () => {
  it('are deterministic per seed and hashed while streamed', async () => {
    const read = async (seed: number) => {
      const body = generatedBody(200_000, seed, 7_000);
      const chunks: Buffer[] = [];
      for await (const c of body.stream) chunks.push(c as Buffer);
      return { bytes: Buffer.concat(chunks), digest: body.digest() };
    };
    const a = await read(1);
    const b = await read(1);
    const c = await read(2);
    expect(a.bytes.length).toBe(200_000);
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.bytes.equals(c.bytes)).toBe(false);
    expect(a.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(a.digest).toBe(b.digest);
    expect(a.digest).toBe(createHash('sha256').update(a.bytes).digest('hex'));
  });

  it('are views of one block: no copy per body, longer bodies wrap, the digest is cached after one full read', () => {
    const size = 3 * 1024 * 1024 + 5; // longer than the 1 MiB block
    const seed = 4242;
    expect(knownDigest(size, seed)).toBeUndefined();
    const chunks = [...seededChunks(size, seed)];
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(size);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(1); // every chunk shares one ArrayBuffer
    const bytes = Buffer.concat(chunks);
    expect(bytes.subarray(0, 1000).equals(bytes.subarray(1 << 20, (1 << 20) + 1000))).toBe(true); // period: the block
    expect(seededDigest(size, seed)).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(knownDigest(size, seed)).toBe(seededDigest(size, seed));
    expect(Buffer.concat([...seededChunks(1000, seed + 1)]).equals(bytes.subarray(0, 1000))).toBe(false);
  });
});

describe('drivers against a real gateway', () => {
  it('uploads a streamed body and checks the sha256 the gateway reports', async () => {
    const metrics = new Metrics();
    const client = new ConduitClient({ url: gateway.httpUrl, metrics, connections: 2 });
    try {
      const out = await uploadGenerated(client, {
        sizeBytes: 300_000,
        seed: 9,
        fields: { note: 'first' },
        filename: 'report one.bin',
      });
      expect(out.ok).toBe(true);
      expect(out.status).toBe(201);
      expect(out.body?.files?.[0]).toMatchObject({
        sha256: seededDigest(300_000, 9),
        size: 300_000,
        filename: 'report one.bin',
        field: 'file',
      });
      expect(out.body).toMatchObject({ fields: { note: 'first' } });
      expect(out.sha256).toBe(out.body?.files?.[0].sha256);
      // The same body again: the digest comes from the cache and still matches what the gateway hashed.
      const again = await uploadGenerated(client, { sizeBytes: 300_000, seed: 9 });
      expect(again).toMatchObject({ ok: true, status: 201, sha256: out.sha256 });
      const tooBig = await uploadGenerated(client, { sizeBytes: 5 * 1024 * 1024, seed: 10 });
      expect(tooBig).toMatchObject({ ok: false, status: 413, error: 'HTTP_4XX' });
    } finally {
      await client.close();
    }
    expect(metrics.counter('upload.files')).toBe(2);
    expect(metrics.counter('bytesSent')).toBeGreaterThan(600_000);
    expect(metrics.snapshot().statusCodes).toEqual({ '201': 2, '413': 1 });
  });

  it('subscribes with credit, acks/nacks, and the ledger sees every enqueued id', async () => {
    const metrics = new Metrics();
    const ledger = new DeliveryLedger();
    const clock = new DeliveryClock(metrics);
    const client = new ConduitClient({ url: gateway.httpUrl, metrics, connections: 4 });
    const stream = `drivers-${Date.now()}`;
    const subs = [0, 1].map(
      (i) =>
        new WsSubscriber({
          url: gateway.wsUrl,
          stream,
          metrics,
          ledger,
          // The first subscriber times deliveries from our send; the second from enqueuedAt.
          ...(i === 0 ? { clock } : {}),
          seed: i + 1,
          credit: { window: 5, refillAt: 2 },
          ack: { nackRate: 0.3, nackDelayMs: 5 },
        }),
    );
    try {
      await Promise.all(subs.map((s) => s.connect()));
      for (let i = 0; i < 60; i++) {
        const sentAt = performance.now();
        const out = await client.enqueue(stream, { i });
        expect(out.ok).toBe(true);
        ledger.enqueued(out.body!.id);
        clock.enqueued(out.body!.id, sentAt);
      }
      await expect(ledger.settle(5000)).resolves.toBe(true);
      // Redeliveries of nacked messages keep flowing for a moment; wait until acks cover every id.
      await until(() => metrics.counter('ws.acks') >= 60, 5000, '60 acks', 10);
    } finally {
      await Promise.all(subs.map((s) => s.close()));
      await client.close();
      clock.flush();
    }
    const summary = ledger.summary();
    expect(summary).toMatchObject({ enqueued: 60, deliveredUnique: 60, lost: 0, duplicates: 0 });
    expect(metrics.counter('ws.nacks')).toBeGreaterThan(5);
    expect(summary.redeliveries).toBe(metrics.counter('ws.redeliveries'));
    expect(metrics.counter('connections.opened')).toBe(2);
    const snap = metrics.snapshot();
    expect(snap.histograms['ws.connect'].summary.count).toBe(2);
    // Every first delivery timed once: by our send clock (subscriber 0) or enqueuedAt (subscriber 1).
    const fromSend = snap.histograms['ws.delivery']?.summary;
    const fromStamp = snap.histograms['ws.delivery.enqueuedAt']?.summary;
    expect((fromSend?.count ?? 0) + (fromStamp?.count ?? 0)).toBe(60);
    expect(fromSend?.count).toBeGreaterThan(0);
    // The send clock has sub-millisecond resolution: not every figure is a whole millisecond.
    expect(fromSend!.min).toBeGreaterThan(0);
    expect(Number.isInteger(fromSend!.mean)).toBe(false);
    expect(snap.errors).toEqual({});
    const closes = await Promise.all(subs.map((s) => s.closed));
    expect(closes.every((c) => c.byClient && c.code === 1000)).toBe(true);
  });

  it('a refused connection is counted as a typed failure', async () => {
    const metrics = new Metrics();
    const sub = new WsSubscriber({
      url: `ws://127.0.0.1:${await closedPort()}`,
      stream: 's',
      metrics,
      connectTimeoutMs: 2000,
    });
    await expect(sub.connect()).rejects.toThrow();
    expect(metrics.snapshot().errors).toEqual({ ECONNREFUSED: 1 });
    expect(metrics.counter('connections.failed')).toBe(1);
  });
});
