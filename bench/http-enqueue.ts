// Benchmark: what the gateway's POST /v1/enqueue costs over a bare Fastify JSON route.
//
//   npx tsx bench/http-enqueue.ts
//
// Both servers run in this process on 127.0.0.1 port 0: (a) a bare Fastify app with an
// equivalent route (JSON body schema, returns {id, stream}), (b) a full gateway (auth,
// rate limits, overload check, drain guard, HTTP log to a temp file, metrics, memory
// streams engine). For each round, N concurrent loops send requests back to back over
// keep-alive connections for a fixed time; latencies go into HDR histograms. Prints
// req/s and p99 per target and the gateway/bare ratio, medians over the rounds.
// Env: BENCH_DURATION_S (3), BENCH_CONNECTIONS (32), BENCH_ROUNDS (3).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import * as hdr from 'hdr-histogram-js';
import { Pool } from 'undici';
import { createGateway } from '../src/gateway/app.js';
import { envDefaults } from '../src/gateway/config/env.js';
import { median } from './lib/proc.js';

const DURATION_MS = Math.min(60, Math.max(1, Number(process.env.BENCH_DURATION_S ?? 3))) * 1000;
const CONNECTIONS = Math.min(256, Math.max(1, Number(process.env.BENCH_CONNECTIONS ?? 32)));
const ROUNDS = Math.min(9, Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3)));

interface RoundResult {
  rps: number;
  p99Ms: number;
  errors: number;
}

async function bareServer() {
  const app = Fastify({ logger: false });
  let seq = 0;
  app.post(
    '/v1/enqueue',
    {
      schema: {
        body: { type: 'object', required: ['to', 'envelope'], additionalProperties: false, properties: { to: { type: 'string' }, envelope: {} } },
      },
    },
    async (request) => ({ id: `m-${++seq}`, stream: (request.body as { to: string }).to }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

async function gatewayServer(dir: string) {
  const env = envDefaults({
    CONDUIT_HTTP_PORT: 0,
    CONDUIT_WS_PORT: 0,
    CONDUIT_CONFIG: join(dir, 'none.yaml'),
    CONDUIT_HTTP_LOG: join(dir, 'http.jsonl'),
    CONDUIT_WS_LOG: join(dir, 'ws.jsonl'),
    CONDUIT_BLOB_LOCAL_DIR: join(dir, 'blobs'),
    CONDUIT_LOG_LEVEL: 'warn',
    // Limits are checked on every request (that cost is measured) but set out of reach.
    CONDUIT_RATE_LIMIT: 100_000_000,
    CONDUIT_RATE_LIMIT_PER_IP: 100_000_000,
    CONDUIT_STREAM_MAX_DEPTH: 100_000_000,
  });
  const gw = await createGateway({ env, configOptional: true });
  const { httpUrl } = await gw.listen();
  return { url: httpUrl, close: () => gw.close() };
}

async function round(url: string, label: string): Promise<RoundResult> {
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + DURATION_MS;
  const loop = async (i: number) => {
    const body = JSON.stringify({ to: `bench-${label}-${i}`, envelope: { n: i, text: 'hello conduit' } });
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const res = await pool.request({ method: 'POST', path: '/v1/enqueue', headers: { 'content-type': 'application/json' }, body });
        await res.body.dump();
        if (res.statusCode === 200) ok += 1;
        else errors += 1;
      } catch {
        errors += 1;
      }
      histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => loop(i)));
  const elapsedS = (performance.now() - started) / 1000;
  await pool.close();
  return { rps: ok / elapsedS, p99Ms: histogram.getValueAtPercentile(99) / 1000, errors };
}


async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'conduit-bench-'));
  const bare = await bareServer();
  const gateway = await gatewayServer(dir);
  const results = { bare: [] as RoundResult[], gateway: [] as RoundResult[] };
  try {
    console.log(`http-enqueue: ${CONNECTIONS} connections, ${DURATION_MS / 1000} s per target, ${ROUNDS} rounds`);
    await round(bare.url, 'warm'); // warm-up (JIT, connections), not counted
    await round(gateway.url, 'warm');
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate the order so neither target always runs on a warmer machine.
      const order = r % 2 === 0 ? (['bare', 'gateway'] as const) : (['gateway', 'bare'] as const);
      for (const target of order) {
        const res = await round(target === 'bare' ? bare.url : gateway.url, `${target}-${r}`);
        results[target].push(res);
        console.log(`  round ${r + 1} ${target.padEnd(7)} ${res.rps.toFixed(0).padStart(7)} req/s  p99 ${res.p99Ms.toFixed(2)} ms  errors ${res.errors}`);
      }
    }
  } finally {
    await gateway.close();
    await bare.close();
    await rm(dir, { recursive: true, force: true });
  }
  const summary = (xs: RoundResult[]) => ({ rps: median(xs.map((x) => x.rps)), p99: median(xs.map((x) => x.p99Ms)) });
  const b = summary(results.bare);
  const g = summary(results.gateway);
  console.log('');
  console.log(`target    req/s (median)   p99 ms (median)`);
  console.log(`bare      ${b.rps.toFixed(0).padStart(14)}   ${b.p99.toFixed(2).padStart(15)}`);
  console.log(`gateway   ${g.rps.toFixed(0).padStart(14)}   ${g.p99.toFixed(2).padStart(15)}`);
  console.log(`ratio gateway/bare: throughput ${(g.rps / b.rps).toFixed(2)}x, p99 ${(g.p99 / b.p99).toFixed(2)}x`);
}

await main();
