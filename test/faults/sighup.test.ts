// Fault: SIGHUP with a broken config under load (issue 12 item 3). A child gateway with
// a tenant's tokens in its YAML file has a producer enqueuing with one of them and a
// subscriber acking; mid-load the file is replaced by an invalid one (that would drop
// the token, were it applied) and the process gets SIGHUP, twice. Counted: the reload
// fails and says so in /health, no request failed, the subscriber stayed connected, and
// every message was acked exactly once.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childGateways } from '../gateway/child.js';
import { call } from '../gateway/helpers.js';
import { Acker, closedAfterEach, dishonestAttempts, lost, Producer, report } from './ledger.js';
import { until } from '../support/until.js';

const COUNT = 300;
const TOKEN = 'acme-token-1';
const GOOD = `tenants:\n  acme:\n    tokens: [${TOKEN}]\nstreams:\n  "hup*": { maxDepth: 10000 }\n`;
/** Invalid twice over: a token too short and a negative depth. */
const BROKEN = 'tenants:\n  acme:\n    tokens: [short]\nstreams:\n  "hup*": { maxDepth: -1 }\n';

let dir: string;
const { start, ready } = childGateways(() => dir);
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conduit-fault-hup-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const open = closedAfterEach();

describe('fault: SIGHUP with a broken config under load', () => {
  it('keeps the old config; no request fails; nothing is lost', async () => {
    const config = join(dir, 'conduit.yaml');
    await writeFile(config, GOOD);
    const s = start({ CONDUIT_CONFIG: config });
    const gw = await ready(s);
    const stream = `hup-${Date.now()}`;
    const acker = await Acker.connect(gw.wsUrl, stream, { window: 10, token: TOKEN });
    open.push(acker);

    // The faults are injected from the load itself: at the 80th and 200th answer.
    const reloads: Array<Promise<unknown>> = [];
    let failedReloads = 0;
    // Each reload is seen to fail: /health shows a failed reload newer than the last one.
    let lastAt = '';
    const hup = () =>
      writeFile(config, BROKEN).then(async () => {
        s.child.kill('SIGHUP');
        const r = await until(async () => {
          const reload = (await call(`${gw.httpUrl}/health`)).body.reload;
          return reload.status === 'failed' && reload.at !== lastAt ? reload : undefined;
        }, 5000);
        lastAt = r.at;
        failedReloads++;
      });
    const producer = new Producer({
      url: () => gw.httpUrl,
      stream,
      count: COUNT,
      concurrency: 6,
      token: TOKEN,
      onOutcome: (_o, p) => {
        if (p.outcomes.length === 80 || p.outcomes.length === 200) reloads.push(hup());
      },
    });
    await producer.done;
    await Promise.all(reloads);
    const health = (await call(`${gw.httpUrl}/health`)).body;
    const accepted = [...producer.accepted.keys()];
    await acker.until(() => lost(accepted, acker.ackedSeqs()).length === 0, 10_000, 'every message acked');
    await acker.client.barrier();

    const ackCount = new Map<number, number>();
    for (const a of acker.acks) ackCount.set(a.seq, (ackCount.get(a.seq) ?? 0) + 1);
    const dishonest = dishonestAttempts([acker.deliveries]);
    const counts = report({
      expected: COUNT,
      lost: lost(accepted, acker.ackedSeqs()).length,
      failedRequests: producer.failed.length,
      ackedTwice: [...ackCount.values()].filter((n) => n > 1).length,
      dishonestAttempts: dishonest.length,
      subscriberClosed: acker.client.ws.readyState === acker.client.ws.OPEN ? 0 : 1,
      failedReloads,
    });
    expect(counts, JSON.stringify({ dishonest: dishonest.slice(0, 5) })).toEqual({
      expected: COUNT,
      lost: 0,
      failedRequests: 0,
      ackedTwice: 0,
      dishonestAttempts: 0,
      subscriberClosed: 0,
      failedReloads: 2,
    });
    expect(health.reload.status).toBe('failed');
    expect(health.reload.errors.length).toBeGreaterThanOrEqual(2);
    // The process is still the one that started, and it still stops cleanly.
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });
});
