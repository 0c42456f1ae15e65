// Benchmark: what the harness's WebSocket subscribers cost, per delivery, against a
// bare `ws` client on the same server in the same run.
//
//   npx tsx bench/ws-fleet.ts          (or: npm run bench -- ws-fleet)
//
// The server (bench/lib/ws-credit-server.ts: a credit loop with no state beyond a
// counter, each burst in one write) runs in its own child process; every run of
// subscribers gets a fresh child of its own: `raw` (parse, ack, top up credit — the
// least a subscriber can do), `fleet` (createSubscriberFleet + Metrics, as a scenario
// builds it, no ack/nack randomness) and `fleet+ledger` (plus the DeliveryLedger the
// ws scenario keeps). The figure that matters is deliveries per CPU-second of the
// subscriber process (deliveries/s per core): the fleet's cost per delivery whatever
// the server's speed. Rounds rotate the order; medians of rounds and of per-round
// ratios. Knobs (env): BENCH_SUBSCRIBERS (100), BENCH_WINDOW (50), BENCH_DURATION_S
// (3), BENCH_WARMUP_S (1), BENCH_ROUNDS (5).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, median, stopChild, waitMessage } from './lib/proc.js';
import type { ClientKind, Job, Result } from './lib/ws-fleet-client.js';

const num = (name: string, def: number, max: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.min(v, max) : def;
};
const SUBSCRIBERS = Math.round(num('BENCH_SUBSCRIBERS', 100, 2000));
const WINDOW = Math.round(num('BENCH_WINDOW', 50, 1000));
const DURATION_S = num('BENCH_DURATION_S', 3, 60);
const WARMUP_S = num('BENCH_WARMUP_S', 1, 10);
const ROUNDS = Math.round(num('BENCH_ROUNDS', 5, 15));
const KINDS: readonly ClientKind[] = ['raw', 'fleet', 'fleet+ledger'];

interface Run {
  perS: number;
  clientCores: number;
  serverCores: number;
  /** Deliveries per CPU-second of the subscriber process. */
  perCoreS: number;
}

const tsChild = (file: string) =>
  fork(fileURLToPath(new URL(file, import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });

async function runClients(kind: ClientKind, url: string, serverPid: number): Promise<Run> {
  const child = tsChild('./lib/ws-fleet-client.ts');
  try {
    const job: Job = {
      kind,
      url,
      subscribers: SUBSCRIBERS,
      window: WINDOW,
      warmupMs: WARMUP_S * 1000,
      durationMs: DURATION_S * 1000,
    };
    const measuring = waitMessage(child, 'measuring', job.warmupMs + 60_000);
    child.send(job);
    await measuring;
    const s0 = await cpuSeconds(serverPid);
    const t0 = performance.now();
    const r = await waitMessage<{ type: string } & Result>(child, 'result', job.durationMs + 60_000);
    const serverCores = ((await cpuSeconds(serverPid)) - s0) / ((performance.now() - t0) / 1000);
    return {
      perS: r.delivered / r.seconds,
      clientCores: r.cpuS / r.seconds,
      serverCores,
      perCoreS: r.delivered / r.cpuS,
    };
  } finally {
    await stopChild(child);
  }
}

const f0 = (n: number) => Math.round(n).toLocaleString('en-US').padStart(9);
const f2 = (n: number) => n.toFixed(2);

async function main(): Promise<void> {
  const server = tsChild('./lib/ws-credit-server.ts');
  const runs = new Map<ClientKind, Run[]>(KINDS.map((k) => [k, []]));
  try {
    const { url, pid } = await waitMessage<{ type: string; url: string; pid: number }>(server, 'ready');
    console.log(
      `ws-fleet: ${SUBSCRIBERS} subscribers, credit window ${WINDOW} (top-up every ${Math.max(1, Math.floor(WINDOW / 2))}), ${DURATION_S} s per run (+${WARMUP_S} s warm-up), ${ROUNDS} rounds, server: bare ws credit loop (own process)`,
    );
    console.log('round  subscribers   deliveries/s  client cores  server cores  deliveries per core-s');
    for (let round = 1; round <= ROUNDS; round++) {
      for (const kind of KINDS.map((_, i) => KINDS[(i + round - 1) % KINDS.length])) {
        const run = await runClients(kind, url, pid);
        runs.get(kind)!.push(run);
        console.log(
          `${String(round).padStart(5)}  ${kind.padEnd(12)} ${f0(run.perS)}  ${f2(run.clientCores).padStart(12)}  ${f2(run.serverCores).padStart(12)}  ${f0(run.perCoreS).padStart(21)}`,
        );
      }
    }
  } finally {
    await stopChild(server);
  }
  console.log('\nmedians of rounds:');
  const raw = runs.get('raw')!;
  for (const kind of KINDS) {
    const rs = runs.get(kind)!;
    const line = `  ${kind.padEnd(12)} ${f0(median(rs.map((r) => r.perS)))} deliveries/s, ${f0(median(rs.map((r) => r.perCoreS)))} per core-s, client ${f2(median(rs.map((r) => r.clientCores)))} cores, server ${f2(median(rs.map((r) => r.serverCores)))} cores`;
    if (kind === 'raw') {
      console.log(line);
      continue;
    }
    const perRound = median(rs.map((r, i) => r.perCoreS / raw[i].perCoreS));
    console.log(
      `${line}; per core vs raw: median of per-round ratios ${f2(perRound)}, ratio of medians ${f2(median(rs.map((r) => r.perCoreS)) / median(raw.map((r) => r.perCoreS)))}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
