// The poison message of the hostile-input probe: an envelope nested 10,000 arrays deep
// (20 KB) was accepted, could never be framed for delivery, and stopped its stream for
// every consumer. It is refused at enqueue (400 ENVELOPE_TOO_DEEP); an envelope at the
// limit is delivered, and the stream goes on.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, enqueue, expectError } from '../gateway/helpers.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ClientPool } from '../support/ws-client.js';

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const rawEnqueue = (g: TestGateway, to: string, envelopeJson: string) =>
  call(`${g.httpUrl}/v1/enqueue`, {
    body: `{"to":${JSON.stringify(to)},"envelope":${envelopeJson}}`,
    headers: { 'content-type': 'application/json' },
  });

describe('an envelope too deep to deliver', () => {
  let g: TestGateway;
  const pool = new ClientPool();
  beforeAll(async () => {
    g = await startGateway({ env: { CONDUIT_ENVELOPE_MAX_DEPTH: 16 } });
  });
  afterEach(() => pool.closeAll());
  afterAll(() => g?.close());

  it('is refused at enqueue with 400 ENVELOPE_TOO_DEEP, and the stream keeps delivering', async () => {
    const refused = await rawEnqueue(g, 'poison', nested(10_000));
    expectError(refused, 400, 'ENVELOPE_TOO_DEEP');
    expect(refused.body.error.message).toMatch(/deeper than 16 levels/);
    expectError(await rawEnqueue(g, 'poison', nested(17)), 400, 'ENVELOPE_TOO_DEEP');
    // At the limit: accepted and delivered as sent; an ordinary message behind it too.
    expect((await rawEnqueue(g, 'poison', nested(16))).status).toBe(200);
    expect((await enqueue(g.httpUrl, 'poison', { n: 1 })).status).toBe(200);
    expect((await call(`${g.httpUrl}/v1/stats?stream=poison`)).body).toMatchObject({ depth: 2 });
    const c = await pool.connect(`${g.wsUrl}/v1/subscribe?stream=poison`);
    c.credit(2);
    const [first, second] = await c.waitDeliveries(2);
    expect(JSON.stringify(first!.envelope)).toBe(nested(16));
    expect(second!.envelope).toEqual({ n: 1 });
    // The gateway is healthy after it.
    expect((await call(`${g.httpUrl}/health`)).status).toBe(200);
  });
});
