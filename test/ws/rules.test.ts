// The delivery contract, rule by rule, over real sockets: credit accounting
// (redeliveries use credit, settles return none, the window is capped), the in-flight
// cap, maxDepth over HTTP, and dead letters (the DLQ redelivers forever, long names).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, enqueue, expectError } from '../gateway/helpers.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ClientPool } from '../support/ws-client.js';
import { until } from '../support/until.js';

const YAML = `
streams:
  "capped*":
    maxDepth: 2
  "poison*":
    maxAttempts: 2
`;
const MAX_CREDIT = 10;
const MAX_INFLIGHT = 3;

describe('WebSocket delivery rules', () => {
  let g: TestGateway;
  const pool = new ClientPool();
  let n = 0;
  const fresh = (prefix = 'rule') => `${prefix}-${++n}`;
  const sub = (stream: string) => pool.connect(`${g.wsUrl}/v1/subscribe?stream=${stream}`);
  const stats = async (stream: string) =>
    (await call(`${g.httpUrl}/v1/stats?stream=${encodeURIComponent(stream)}`)).body;
  const put = async (stream: string, envelope: unknown = { n: 1 }) => {
    const res = await enqueue(g.httpUrl, stream, envelope);
    expect(res.status).toBe(200);
    return res.body.id as string;
  };
  const fill = async (stream: string, count: number) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(await put(stream, { i }));
    return ids;
  };

  beforeAll(async () => {
    g = await startGateway({
      yaml: YAML,
      env: { CONDUIT_WS_MAX_CREDIT: MAX_CREDIT, CONDUIT_WS_MAX_INFLIGHT: MAX_INFLIGHT },
    });
  });
  afterEach(() => pool.closeAll());
  afterAll(() => g?.close());

  it('a redelivery uses a credit like a first delivery', async () => {
    const s = fresh();
    const before = Date.now();
    const [id] = await fill(s, 1);
    const after = Date.now();
    const c = await sub(s);
    c.credit(1);
    const [first] = await c.waitDeliveries(1);
    expect(first!.enqueuedAt).toBeGreaterThanOrEqual(before); // epoch milliseconds
    expect(first!.enqueuedAt).toBeLessThanOrEqual(after);
    c.nack(id!); // no delay: deliverable again at once, but the window is empty
    await c.barrier(); // a redelivery would be sent before the barrier's answer
    expect(c.deliveries).toHaveLength(1);
    expect(await stats(s)).toMatchObject({ depth: 1, inflight: 0, nacked: 1 });
    c.credit(1);
    const [, again] = await c.waitDeliveries(2);
    expect(again).toEqual({ ...first, attempt: 2 });
  });

  it('acks and nacks give no credit back', async () => {
    const s = fresh();
    await fill(s, 5);
    const c = await sub(s);
    c.credit(2);
    const got = await c.waitDeliveries(2);
    c.ack(got[0]!.id);
    c.nack(got[1]!.id, 1000);
    await c.barrier();
    expect(c.deliveries).toHaveLength(2);
    expect(await stats(s)).toMatchObject({ depth: 4, inflight: 0, acked: 1, nacked: 1 });
    expect(c.errors).toEqual([]);
  });

  it('caps the window: unused credit never exceeds CONDUIT_WS_MAX_CREDIT (error frame, window unchanged, connection open)', async () => {
    const s = fresh();
    const c = await sub(s);
    c.ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.deliver) c.ack(f.deliver.id); // settle at once: only credit limits deliveries
    });
    for (let i = 0; i < 15; i++) c.credit(1); // 10 fit, 5 are refused
    await c.until(() => c.errors.length === 5, 3000, '5 errors');
    expect(c.errors.every((e) => e.code === 'INVALID_CREDIT' && e.message.includes('above 10'))).toBe(true);
    c.credit(1); // still full
    await c.until(() => c.errors.length === 6, 3000, '6 errors');
    await fill(s, 12);
    await c.waitDeliveries(10);
    await c.barrier();
    expect(c.deliveries).toHaveLength(10);
    expect(await stats(s)).toMatchObject({ depth: 2, inflight: 0, acked: 10 });
    // The window is empty again: a full grant is accepted.
    c.credit(MAX_CREDIT);
    await c.waitDeliveries(12);
    await c.barrier();
    expect(c.errors).toHaveLength(6);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
  });

  it('caps unsettled deliveries per connection: with credit left, deliveries pause and resume on acks and nacks', async () => {
    const s = fresh();
    const ids = await fill(s, 8);
    const c = await sub(s);
    c.credit(8);
    await c.waitDeliveries(MAX_INFLIGHT);
    await c.barrier();
    expect(c.deliveries).toHaveLength(MAX_INFLIGHT);
    expect(await stats(s)).toMatchObject({ depth: 5, inflight: MAX_INFLIGHT });
    c.ack(ids[0]!); // one slot free → exactly one more
    await c.waitDeliveries(MAX_INFLIGHT + 1);
    await c.barrier();
    expect(c.deliveries).toHaveLength(MAX_INFLIGHT + 1);
    c.nack(ids[1]!, 60_000); // a nack frees a slot too
    c.ack(ids[2]!);
    await c.waitDeliveries(MAX_INFLIGHT + 3);
    await c.barrier();
    expect(c.deliveries.map((d) => d.id)).toEqual(ids.slice(0, 6));
    expect(await stats(s)).toMatchObject({ depth: 3, inflight: MAX_INFLIGHT }); // 2 waiting + 1 delayed
  });

  it('maxDepth counts waiting and delayed messages, not those in flight: beyond it 503 STREAM_FULL + Retry-After', async () => {
    const s = fresh('capped');
    await fill(s, 2);
    const full = await enqueue(g.httpUrl, s, 'third');
    expectError(full, 503, 'STREAM_FULL');
    expect(Number(full.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const c = await sub(s);
    c.credit(2);
    const inFlight = await c.waitDeliveries(2);
    await fill(s, 2); // the two in flight do not count
    expectError(await enqueue(g.httpUrl, s, 'fifth'), 503, 'STREAM_FULL');
    c.nack(inFlight[0]!.id, 60_000); // delayed counts: depth 3
    c.ack(inFlight[1]!.id);
    await c.barrier();
    expect(await stats(s)).toMatchObject({ depth: 3, inflight: 0 });
    c.credit(2); // takes the two waiting ones; the delayed one stays
    await c.waitDeliveries(4);
    expect(await stats(s)).toMatchObject({ depth: 1, inflight: 2 });
    expect((await enqueue(g.httpUrl, s, 'fits')).status).toBe(200);
    expectError(await enqueue(g.httpUrl, s, 'full again'), 503, 'STREAM_FULL');
  });

  it('the dead-letter stream redelivers a nacked message for ever, past maxAttempts, and never to NAME.dlq.dlq', async () => {
    const s = fresh('poison');
    const id = await put(s, { bad: true });
    const c = await sub(s);
    c.credit(2);
    await c.waitDeliveries(1);
    c.nack(id);
    await c.waitDeliveries(2);
    c.nack(id); // attempt 2 of 2: dead-lettered
    await c.barrier();
    expect(await stats(s)).toMatchObject({ depth: 0, deadLettered: 1 });
    const d = await sub(`${s}.dlq`);
    for (let attempt = 1; attempt <= 5; attempt++) {
      d.credit(1);
      const got = await d.waitDeliveries(attempt);
      expect(got[attempt - 1]).toMatchObject({ id, attempt, stream: `${s}.dlq`, envelope: { bad: true } });
      d.nack(id);
    }
    await d.barrier();
    expect(await stats(`${s}.dlq`)).toMatchObject({ depth: 1, inflight: 0, nacked: 5, deadLettered: 0 });
    expect(await stats(`${s}.dlq.dlq`)).toMatchObject({ depth: 0, delivered: 0 });
    expect(d.errors).toEqual([]);
  });

  it('the dead-letter stream of a 200-character name can be subscribed to', async () => {
    const s = `poison-${'x'.repeat(193)}`;
    expect(s).toHaveLength(200);
    const id = await put(s);
    const c = await sub(s);
    c.credit(2);
    await c.waitDeliveries(1);
    c.nack(id);
    await c.waitDeliveries(2);
    c.nack(id);
    await c.barrier();
    const d = await sub(`${s}.dlq`);
    d.credit(1);
    const [dead] = await d.waitDeliveries(1);
    expect(dead).toMatchObject({ id, stream: `${s}.dlq` });
    expect(await stats(`${s}.dlq`)).toMatchObject({ inflight: 1 });
  });
});

describe('WebSocket counters in /v1/metrics and /metrics', () => {
  let g: TestGateway | undefined;
  const pool = new ClientPool();
  afterEach(async () => {
    await pool.closeAll();
    await g?.close();
    g = undefined;
  });

  it('count deliveries, settles, redeliveries, credit, stalls and close codes exactly', async () => {
    g = await startGateway({});
    for (let i = 0; i < 4; i++) expect((await enqueue(g.httpUrl, 'counted', { i })).status).toBe(200);
    const c = await pool.connect(`${g.wsUrl}/v1/subscribe?stream=counted`);
    c.credit(3); // the 3rd delivery uses the last credit with 1 waiting: a stall
    const got = await c.waitDeliveries(3);
    c.ack(got[0]!.id);
    c.nack(got[1]!.id);
    c.credit(1); // the nacked one comes back first, again using the last credit with 1 waiting
    const [, , , again] = await c.waitDeliveries(4);
    expect(again).toMatchObject({ id: got[1]!.id, attempt: 2 });
    c.ack(again!.id);
    c.ack('no-such-id');
    await c.waitError('UNKNOWN_DELIVERY');
    await c.close();
    const ws = await until(async () => {
      const m = (await call(`${g!.httpUrl}/v1/metrics`)).body.ws;
      return m.connections.open === 0 ? m : false;
    });
    expect(ws).toEqual({
      connections: { open: 0, total: 1, rejected: 0 },
      delivered: 4,
      acked: 2,
      nacked: 1,
      redelivered: 1,
      deadLettered: 0,
      creditGranted: 4,
      creditStalls: 2,
      unknownSettles: 1,
      closeCodes: { '1000': 1 },
    });
    const prom = (await call(`${g.httpUrl}/metrics`)).text;
    for (const line of [
      'conduit_ws_messages_total{event="delivered"} 4',
      'conduit_ws_messages_total{event="redelivered"} 1',
      'conduit_ws_messages_total{event="acked"} 2',
      'conduit_ws_messages_total{event="nacked"} 1',
      'conduit_ws_messages_total{event="unknown_settle"} 1',
      'conduit_ws_credit_granted_total 4',
      'conduit_ws_credit_stalls 2',
      'conduit_ws_dead_lettered 0',
      'conduit_ws_close_codes_total{code="1000"} 1',
      'conduit_ws_connections_total{outcome="accepted"} 1',
    ]) {
      expect(prom.split('\n')).toContain(line);
    }
  });
});
