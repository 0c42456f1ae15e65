// Ack/nack, redelivery (nack delay, disconnect, ack timeout) and dead letters over real sockets.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, enqueue, readJsonLines } from '../gateway/helpers.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ClientPool } from '../support/ws-client.js';
import { until } from '../support/until.js';

// "slow*": a short ack timeout where nothing has to beat it; "patient*": one long enough
// for a test step (an ack, a barrier) to beat it on a loaded machine.
const YAML = `
streams:
  "slow*":
    ackTimeoutMs: 150
  "patient*":
    ackTimeoutMs: 1500
  "poison*":
    maxAttempts: 2
`;

describe('WebSocket ack, nack, redelivery and dead letters', () => {
  let g: TestGateway;
  const pool = new ClientPool();
  let n = 0;
  const fresh = (prefix = 's') => `${prefix}-${++n}`;
  const sub = (stream: string) => pool.connect(`${g.wsUrl}/v1/subscribe?stream=${stream}`);
  const stats = async (stream: string) =>
    (await call(`${g.httpUrl}/v1/stats?stream=${encodeURIComponent(stream)}`)).body;
  const put = async (stream: string, envelope: unknown = { hello: 'world' }) => {
    const res = await enqueue(g.httpUrl, stream, envelope);
    expect(res.status).toBe(200);
    return res.body.id as string;
  };

  beforeAll(async () => {
    g = await startGateway({ yaml: YAML });
  });
  afterEach(() => pool.closeAll());
  afterAll(() => g?.close());

  it('ack settles; a second ack or nack of it gets UNKNOWN_DELIVERY and the connection stays open', async () => {
    const s = fresh();
    const id = await put(s);
    const c = await sub(s);
    c.credit(5);
    await c.waitDeliveries(1);
    c.ack(id);
    c.ack(id);
    c.nack(id);
    c.ack('never-delivered');
    await c.until(() => c.errors.length === 3, 3000, '3 errors');
    expect(c.errors.map((e) => e.code)).toEqual(['UNKNOWN_DELIVERY', 'UNKNOWN_DELIVERY', 'UNKNOWN_DELIVERY']);
    expect(c.errors[0]!.message).toContain(id);
    expect(await stats(s)).toMatchObject({ depth: 0, inflight: 0, delivered: 1, acked: 1 });
    expect(c.ws.readyState).toBe(c.ws.OPEN);
  });

  it('nack with a delay redelivers the same id after at least the delay, with attempt 2', async () => {
    const s = fresh();
    const id = await put(s, { n: 1 });
    const c = await sub(s);
    c.credit(5);
    const [first] = await c.waitDeliveries(1);
    const t0 = Date.now();
    c.nack(id, 1500); // long enough for the barrier and the stats call to come first
    await c.barrier();
    expect(c.deliveries).toHaveLength(1); // not before the delay
    expect((await stats(s)).depth).toBe(1); // delayed messages count in depth
    const [, second] = await c.waitDeliveries(2, 5000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(second).toEqual({ ...first, attempt: 2 });
    expect(await stats(s)).toMatchObject({ nacked: 1, redelivered: 1, inflight: 1 });
  });

  it('a subscriber killed with messages in flight: another subscriber receives them with attempt 2', async () => {
    const s = fresh();
    const ids = [await put(s, 1), await put(s, 2), await put(s, 3)];
    const a = await sub(s);
    a.credit(3);
    await a.waitDeliveries(3);
    const b = await sub(s);
    b.credit(10);
    await b.barrier();
    expect(b.deliveries).toHaveLength(0); // nothing to share while a holds them
    a.ws.terminate(); // no close handshake: the server notices the dead TCP connection
    const got = await b.waitDeliveries(3);
    expect(got.map((d) => [d.id, d.attempt]).sort()).toEqual(ids.map((id) => [id, 2]).sort());
    expect(got.map((d) => d.envelope).sort()).toEqual([1, 2, 3]);
  });

  it('redelivers on ack timeout, and an ack of the redelivered attempt settles it', async () => {
    const s = fresh('patient'); // the ack of attempt 2 must beat its own timeout
    const id = await put(s);
    const c = await sub(s);
    c.credit(2);
    await c.waitDeliveries(1);
    const t0 = c.at[c.frames.findIndex((f) => f.deliver)]!;
    const [, again] = await c.waitDeliveries(2, 6000);
    expect(again).toMatchObject({ id, attempt: 2 });
    expect(c.at[c.frames.length - 1]! - t0).toBeGreaterThanOrEqual(1490);
    c.ack(id); // settles attempt 2
    await c.barrier();
    expect(c.errors).toEqual([]);
    expect(await stats(s)).toMatchObject({ acked: 1, redelivered: 1, inflight: 0 });
  });

  it('an ack that comes after the ack timeout, from the connection that lost the message, is UNKNOWN_DELIVERY', async () => {
    const s = fresh('slow');
    const id = await put(s);
    const late = await sub(s);
    late.credit(1); // its one credit is spent on attempt 1: the redelivery must go elsewhere
    await late.waitDeliveries(1);
    const other = await sub(s);
    other.credit(1);
    // The ack timeout takes the message from `late` and hands it to `other`.
    const [again] = await other.waitDeliveries(1, 3000);
    expect(again).toMatchObject({ id, attempt: 2 });
    late.ack(id);
    await late.until(() => late.errors.length === 1, 3000, 'the late ack answered');
    expect(late.errors[0]).toMatchObject({ code: 'UNKNOWN_DELIVERY' });
    expect(late.errors[0]!.message).toContain(id);
    expect(late.ws.readyState).toBe(late.ws.OPEN);
    // The late ack settled nothing: no ack is counted for it.
    expect(await stats(s)).toMatchObject({ acked: 0, redelivered: expect.any(Number) });
  });

  it('after maxAttempts the message goes to NAME.dlq with the same id; subscribers of the DLQ receive it', async () => {
    const s = fresh('poison');
    const deadLetteredBefore = (await call(`${g.httpUrl}/v1/metrics`)).body.ws.deadLettered as number;
    const id = await put(s, { bad: true });
    const c = await sub(s);
    c.credit(10);
    await c.waitDeliveries(1);
    c.nack(id);
    await c.waitDeliveries(2);
    expect(c.deliveries.map((d) => d.attempt)).toEqual([1, 2]);
    c.nack(id); // the last allowed attempt
    await c.barrier();
    expect(c.deliveries).toHaveLength(2);
    expect(await stats(s)).toMatchObject({ depth: 0, inflight: 0, deadLettered: 1, nacked: 2 });
    expect(await stats(`${s}.dlq`)).toMatchObject({ depth: 1 });

    const d = await sub(`${s}.dlq`);
    d.credit(10);
    const [dead] = await d.waitDeliveries(1);
    expect(dead).toMatchObject({ id, stream: `${s}.dlq`, envelope: { bad: true }, attempt: 1 });
    // The DLQ is never dead-lettered again: nack it past maxAttempts and it comes back.
    d.nack(id);
    d.nack(id); // may arrive before attempt 2 is delivered → UNKNOWN_DELIVERY, fine either way
    await d.waitDeliveries(2);
    expect(d.deliveries[1]).toMatchObject({ id, attempt: 2 });
    await until(async () => (await stats(`${s}.dlq`)).deadLettered === 0 && (await stats(`${s}.dlq.dlq`)).depth === 0);
    expect(g.appLines.some((l) => l.msg === 'message dead-lettered' && l.id === id && l.dlq === `${s}.dlq`)).toBe(true);
    const metrics = (await call(`${g.httpUrl}/v1/metrics`)).body;
    // Counted once: the DLQ's own nacks past maxAttempts dead-letter nothing.
    expect(metrics.ws.deadLettered - deadLetteredBefore).toBe(1);
  });

  it('dead-letters a message whose last attempt times out', async () => {
    const s = `slow-poison-${++n}`; // matches "slow*" first: ackTimeoutMs 150, default maxAttempts 5
    expect(s.startsWith('slow')).toBe(true);
    const id = await put(s);
    const c = await sub(s);
    c.credit(10);
    await c.waitDeliveries(5, 5000);
    expect(c.deliveries.map((d) => d.attempt)).toEqual([1, 2, 3, 4, 5]);
    await until(async () => (await stats(s)).deadLettered === 1, 3000);
    expect(await stats(`${s}.dlq`)).toMatchObject({ depth: 1 });
    expect(c.deliveries.every((d) => d.id === id)).toBe(true);
  });

  it('logs connect and close lines (no tokens) to the WS log', async () => {
    const s = fresh();
    const c = await sub(s);
    c.credit(4);
    await c.close();
    const lines = await until(async () => {
      const all = await readJsonLines(`${g.dir}/logs/ws.jsonl`);
      const mine = all.filter((l) => l.stream === s);
      return mine.some((l) => l.event === 'close') ? mine : false;
    });
    const close = lines.find((l) => l.event === 'close')!;
    expect(lines.find((l) => l.event === 'connect')).toMatchObject({ tenant: 'default', stream: s });
    expect(close).toMatchObject({ credit: 4, deliveries: 0, acks: 0, nacks: 0, closeCode: 1000 });
    expect(typeof close.durMs).toBe('number');
    expect(close.connId).toBe(lines[0]!.connId);
  });
});
