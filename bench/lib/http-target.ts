// The trivial target of bench/generator.ts, run as its own child process so generator
// and target never share an event loop: node:http answering "ok" at once, or after
// holding each request HOLD_MS (a timer). It times every request on its own clock —
// from the request event to the end of its answer — into an HDR histogram, so the
// latency a generator reports can be compared with the time the target really took.
//
// IPC: sends {type:'ready', port, pid}; on {type:'reset'} clears the clock; on
// {type:'clock'} answers {type:'clock', count, p50Ms, p99Ms}.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createHistogram, percentile, recordMs } from '../../src/load/histogram.js';

const holdMs = Number(process.env.HOLD_MS ?? 0);
const clock = createHistogram();

const server = createServer((_req, res) => {
  const started = performance.now();
  const answer = () => {
    res.end('ok');
    recordMs(clock, performance.now() - started);
  };
  if (holdMs > 0) setTimeout(answer, holdMs);
  else answer();
});
server.keepAliveTimeout = 60_000;

process.on('message', (msg: { type?: string }) => {
  if (msg?.type === 'reset') clock.reset();
  else if (msg?.type === 'clock') {
    process.send?.({
      type: 'clock',
      count: clock.totalCount,
      p50Ms: percentile(clock, 50),
      p99Ms: percentile(clock, 99),
    });
  }
});
// The parent going away ends the target: it never outlives the bench.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port, pid: process.pid });
});
