// Regressions of issue 12 (outside hostile probe), cases 2, 5 and 6: each failed on the
// code before its fix.
import { describe, expect, it } from 'vitest';
import { call, expectError, gatewaysClosedAfterEach, TWO_TENANTS } from '../gateway/helpers.js';
import { exchange, httpRequest, parseResponses, type HttpAnswer } from './raw.js';

const gateway = gatewaysClosedAfterEach();
const JSON_ACME = { Authorization: 'Bearer acme-token-1', 'Content-Type': 'application/json' };

const asRes = (a: HttpAnswer) => ({ status: a.status, headers: a.headers, body: a.body, text: a.text });

describe('issue 12, case 2: a request pipelined before bytes the parser refuses', () => {
  it('gets its own answer first, then 400 BAD_REQUEST with Connection: close; the message is enqueued once', async () => {
    const g = await gateway({ yaml: TWO_TENANTS });
    const enqueue = httpRequest({
      path: '/v1/enqueue',
      headers: JSON_ACME,
      body: JSON.stringify({ to: 'pipelined', envelope: { n: 1 } }),
      close: false,
    });
    const ex = await exchange(g.httpUrl, Buffer.concat([enqueue, Buffer.from('GARBAGE\r\n\r\n')]));
    const answers = parseResponses(ex.bytes);
    expect(answers.map((a) => a.status)).toEqual([200, 400]);
    expect(answers[0]!.body).toMatchObject({ stream: 'pipelined', id: expect.any(String) });
    expectError(asRes(answers[1]!), 400, 'BAD_REQUEST');
    expect(answers[1]!.headers.connection).toBe('close');
    expect(ex.closedByServer).toBe(true);
    const stats = await call(`${g.httpUrl}/v1/stats?stream=pipelined`, { token: 'acme-token-1' });
    expect(stats.body.depth).toBe(1);
  });

  it('several pipelined requests are all answered, in order, before the refusal', async () => {
    const g = await gateway();
    const health = httpRequest({ path: '/health', close: false });
    const ex = await exchange(g.httpUrl, Buffer.concat([health, health, health, Buffer.from('\x01\x02 nope\r\n\r\n')]));
    expect(parseResponses(ex.bytes).map((a) => a.status)).toEqual([200, 200, 200, 400]);
  });
});
