// Benchmark: what the gateway's POST /v1/enqueue and GET /health cost over a bare
// Fastify app answering the same shapes, with a generator that is not the limit.
//
//   npx tsx bench/http-enqueue.ts
//   BENCH_ROUNDS=3 BENCH_DURATION_S=3 npx tsx bench/http-enqueue.ts
//
// Method:
// - Generator: wrk (C; `wrk -t1 -c32 -d5s` with a Lua script for the request, written to
//   a temp dir). A Node client tops out near the servers' own rate and then measures
//   itself. Without wrk the bench prints a note and exits 0 (Debian: apt-get install wrk).
// - Servers: child processes, one at a time, each on 127.0.0.1 port 0: the gateway as
//   production runs it (built JS with its Node flags; auth with a tenant token, per-IP and
//   per-tenant rate limits checked but set out of reach, overload and drain checks,
//   metrics, memory streams engine, the HTTP request log ON, to a temp file) and bare
//   Fastify (bench/lib/bare-fastify.mjs: the same routes, body schema and reply shapes,
//   nothing else). Both get the same requests, token header included.
// - Rounds: each round starts each server fresh (so queued messages do not pile up over
//   the run), warms it up (BENCH_WARMUP_S, not counted), then measures GET /health and
//   POST /v1/enqueue for BENCH_DURATION_S each. The order of the servers alternates per
//   round. Printed: req/s, p50/p99 (wrk's), the gateway/bare ratio per round, medians,
//   the median of per-round ratios and the ratio of medians; the bar is ≥ 0.7×.
// - Who was the limit: while wrk runs the bench samples /proc: CPU of wrk's busiest
//   thread (~1.0 core = wrk was the limit), the server's total and main-thread CPU
//   (~1.0 core on the main thread = the server's event loop was the limit) and the whole
//   machine's busy cores (wrk and the server share it; on 2 cores both fit).
// - After each gateway run the bench counts the lines of its request log (the gateway is
//   stopped with SIGTERM first, so the drain's flush is checked too): at least one line per
//   answered request.
// Env: BENCH_ROUNDS (5), BENCH_DURATION_S (5), BENCH_WARMUP_S (2), BENCH_CONNECTIONS (32),
// BENCH_WRK_THREADS (1), BENCH_WRK (wrk's path), BENCH_NODE_ARGS (extra node flags for
// both servers, e.g. --cpu-prof), BENCH_NO_BUILD=1 (use dist/ as it is).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from './lib/build.js';
import {
  BENCH_TOKEN,
  startBareTarget,
  startGatewayTarget,
  type HttpTarget,
  type HttpTargetName,
} from './lib/http-targets.js';
import { median, stopChild } from './lib/proc.js';
import { findWrk, runWrk, writeScript, type WrkRequest, type WrkResult } from './lib/wrk.js';

const num = (name: string, def: number, min: number, max: number) => {
  const v = Number(process.env[name] ?? def);
  return Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : def;
};
const ROUNDS = num('BENCH_ROUNDS', 5, 1, 15);
const DURATION_S = num('BENCH_DURATION_S', 5, 1, 60);
const WARMUP_S = num('BENCH_WARMUP_S', 2, 1, 30);
const CONNECTIONS = num('BENCH_CONNECTIONS', 32, 1, 1024);
const WRK_THREADS = num('BENCH_WRK_THREADS', 1, 1, 16);
const BAR = 0.7;
/** A thread at this share of a core or more was saturated. */
const SATURATED = 0.9;

type RouteName = 'health' | 'enqueue';
const ROUTES: Record<RouteName, WrkRequest> = {
  health: { method: 'GET', path: '/health', headers: { authorization: `Bearer ${BENCH_TOKEN}` } },
  enqueue: {
    method: 'POST',
    path: '/v1/enqueue',
    headers: { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ to: 'bench', envelope: { n: 1, text: 'hello conduit' } }),
  },
};
const ROUTE_LABEL: Record<RouteName, string> = { health: 'GET /health', enqueue: 'POST /v1/enqueue' };
const NAMES: readonly RouteName[] = ['health', 'enqueue'];

type Results = Record<RouteName, Record<HttpTargetName, WrkResult[]>>;

const f = (x: number, d = 2) => x.toFixed(d);
/** The server's CPU per answered request: robust to the machine being shared (rates are not). */
const usPerReq = (r: WrkResult) => (r.serverCpu.total / r.rps) * 1e6;
const rps = (x: number) => Math.round(x).toLocaleString('en-US').padStart(7);

function printRun(round: number, t: HttpTargetName, route: RouteName, r: WrkResult): void {
  console.log(
    `  round ${round} ${t.padEnd(7)} ${ROUTE_LABEL[route].padEnd(16)} ${rps(r.rps)} req/s  p50 ${f(r.p50Ms)} ms  p99 ${f(r.p99Ms)} ms  non-2xx ${r.non2xx}  errors ${r.socketErrors}` +
      ` | server ${f(r.serverCpu.total)} cores (main thread ${f(r.serverCpu.main)}, ${usPerReq(r).toFixed(0)} CPU-µs/req)  wrk ${f(r.wrkCpu.total)} cores (busiest thread ${f(r.wrkCpu.busiestThread)})  machine ${f(r.machineBusyCores, 1)}/${r.machineCores} cores busy`,
  );
}

async function countLines(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Warm `t` up, then measure every route on it; returns the requests it answered (warm-up included). */
async function measure(
  t: HttpTarget,
  wrk: string,
  scripts: Record<RouteName, string>,
  round: number,
  results: Results,
): Promise<number> {
  let answered = 0;
  for (const route of NAMES) {
    const run = (durationS: number) =>
      runWrk({
        wrk,
        url: t.url,
        script: scripts[route],
        threads: WRK_THREADS,
        connections: CONNECTIONS,
        durationS,
        serverPid: t.pid,
      });
    const warm = await run(WARMUP_S);
    const r = await run(DURATION_S);
    answered += warm.requests + r.requests;
    if (r.non2xx > 0 || r.socketErrors > 0)
      console.log(
        `  warning: ${t.name} ${ROUTE_LABEL[route]}: ${r.non2xx} non-2xx answers, ${r.socketErrors} socket errors`,
      );
    results[route][t.name].push(r);
    printRun(round, t.name, route, r);
  }
  return answered;
}

function summarise(results: Results): boolean {
  let met = true;
  console.log(`\nmedians over ${ROUNDS} rounds (generator: wrk -t${WRK_THREADS} -c${CONNECTIONS} -d${DURATION_S}s):`);
  for (const route of NAMES) {
    const { bare, gateway } = results[route];
    const m = (xs: WrkResult[], pick: (r: WrkResult) => number) => median(xs.map(pick));
    for (const [name, xs] of [
      ['bare', bare],
      ['gateway', gateway],
    ] as const) {
      console.log(
        `  ${name.padEnd(7)} ${ROUTE_LABEL[route].padEnd(16)} ${rps(m(xs, (r) => r.rps))} req/s  p50 ${f(m(xs, (r) => r.p50Ms))} ms  p99 ${f(m(xs, (r) => r.p99Ms))} ms` +
          `  server ${f(m(xs, (r) => r.serverCpu.total))} cores (main ${f(m(xs, (r) => r.serverCpu.main))}, ${m(xs, usPerReq).toFixed(0)} CPU-µs/req)  wrk busiest thread ${f(m(xs, (r) => r.wrkCpu.busiestThread))} core`,
      );
    }
    const perRound = gateway.map((g, i) => g.rps / bare[i].rps);
    const ofMedians = m(gateway, (r) => r.rps) / m(bare, (r) => r.rps);
    const ratio = median(perRound);
    met &&= ratio >= BAR;
    console.log(
      `  ${ROUTE_LABEL[route]}: gateway/bare ${f(ratio)}× (median of per-round ratios ${perRound.map((x) => f(x)).join(', ')}; ratio of medians ${f(ofMedians)}×) — bar ≥ ${BAR}×: ${ratio >= BAR ? 'met' : 'MISSED'}`,
    );
    console.log(
      `  ${ROUTE_LABEL[route]}: server CPU per request gateway/bare ${f(median(gateway.map((g, i) => usPerReq(g) / usPerReq(bare[i]))))}× (median of per-round ratios)`,
    );
  }
  // Whether the generator limited any run: wrk's busiest thread at ~a full core.
  const all = NAMES.flatMap((route) => [...results[route].bare, ...results[route].gateway]);
  const wrkMax = Math.max(...all.map((r) => r.wrkCpu.busiestThread));
  const saturatedWrk = all.filter((r) => r.wrkCpu.busiestThread >= SATURATED).length;
  const serverMain = NAMES.flatMap((route) => results[route].gateway.map((r) => r.serverCpu.main));
  console.log(
    saturatedWrk > 0
      ? `generator: wrk WAS the limit in ${saturatedWrk} of ${all.length} runs (its busiest thread at ≥ ${SATURATED} core; max ${f(wrkMax)}): those figures describe wrk, not the server`
      : `generator: wrk was not the limit (its busiest thread at most ${f(wrkMax)} core in any run); the gateway's main thread ran at ${f(Math.min(...serverMain))}–${f(Math.max(...serverMain))} core`,
  );
  return met;
}

async function main(): Promise<number> {
  const wrk = findWrk();
  if (!wrk) {
    console.log(
      'http-enqueue: SKIPPED — wrk is not installed (Debian/Ubuntu: apt-get install wrk; or set BENCH_WRK to its path). A Node client would measure itself, not the servers.',
    );
    return 0;
  }
  await ensureBuilt();
  const root = await mkdtemp(join(tmpdir(), 'conduit-bench-http-'));
  const live: HttpTarget[] = [];
  try {
    await writeFile(join(root, 'conduit.yaml'), 'tenants: {}\n');
    const scripts = Object.fromEntries(
      await Promise.all(NAMES.map(async (n) => [n, await writeScript(root, n, ROUTES[n])])),
    ) as Record<RouteName, string>;
    const results: Results = { health: { bare: [], gateway: [] }, enqueue: { bare: [], gateway: [] } };
    console.log(
      `http-enqueue: generator wrk (${wrk}) -t${WRK_THREADS} -c${CONNECTIONS}, ${WARMUP_S} s warm-up + ${DURATION_S} s per route, ${ROUNDS} rounds, servers alternate; request log on`,
    );
    for (let r = 1; r <= ROUNDS; r++) {
      const order: HttpTargetName[] = r % 2 === 1 ? ['bare', 'gateway'] : ['gateway', 'bare'];
      for (const name of order) {
        const httpLog = join(root, `http-${r}.jsonl`);
        const t = name === 'bare' ? await startBareTarget() : await startGatewayTarget(root, httpLog);
        live.push(t);
        if (r === 1) console.log(`  ${name} = ${t.command} (pid ${t.pid})`);
        const answered = await measure(t, wrk, scripts, r, results);
        await stopChild(t.child);
        live.splice(live.indexOf(t), 1);
        if (name === 'gateway') {
          const lines = await countLines(httpLog);
          const ok = lines >= answered;
          console.log(
            `  round ${r} gateway request log: ${lines} lines for ${answered} answered requests (after SIGTERM) — ${ok ? 'none missing' : 'LINES MISSING'}`,
          );
          if (!ok) throw new Error(`the gateway's request log lost ${answered - lines} lines`);
          await rm(httpLog, { force: true });
        }
      }
    }
    return summarise(results) || process.env.BENCH_STRICT !== '1' ? 0 : 1;
  } finally {
    for (const t of live) await stopChild(t.child);
    await rm(root, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err);
  return 1;
});
