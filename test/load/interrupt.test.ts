// Ctrl-C / kill during a load run: the scenario must stop within a couple of seconds,
// not at the end of its duration. The end-to-end case spawns Vitest on a 60 s scenario
// (fixture project: a fake target started by the global setup as a managed child) and
// sends SIGINT to that Vitest main process only — the case that used to orphan the fork.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { closedModel, LoadEngine, Metrics, watchInterrupts } from '../../src/load/index.js';
import { until } from '../support/until.js';
import { alive } from '../support/process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const spawned: number[] = [];

afterAll(() => {
  // Whatever happened, nothing we started outlives the file.
  for (const pid of spawned) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

describe('watchInterrupts', () => {
  it('aborts on any given signal, with its reason, and stops listening when disposed', () => {
    const a = new AbortController();
    const b = new AbortController();
    const watch = watchInterrupts([a.signal, undefined, b.signal], {
      proc: new EventEmitter() as unknown as NodeJS.Process,
    });
    expect(watch.signal.aborted).toBe(false);
    b.abort(new Error('run cancelled'));
    expect(watch.signal.aborted).toBe(true);
    expect((watch.signal.reason as Error).message).toBe('run cancelled');
    watch.dispose();
  });

  it('aborts when the parent process disconnects (an orphaned Vitest fork), then exits it if it lingers', async () => {
    const proc = Object.assign(new EventEmitter(), {
      connected: true,
      send: () => true,
      exit: (code: number) => exits.push(code),
    });
    const exits: number[] = [];
    const watch = watchInterrupts([], { proc: proc as unknown as NodeJS.Process, orphanExitMs: 20 });
    proc.emit('disconnect');
    expect(watch.signal.aborted).toBe(true);
    expect(String((watch.signal.reason as Error).message)).toMatch(/main process went away/);
    await until(() => exits.length > 0, 2000, 'the orphan exit', 5);
    expect(exits).toEqual([130]);
    watch.dispose();
  });
});

describe('LoadEngine interrupts', () => {
  it('an outside abort cuts the grace period to interruptGraceMs and reports interrupted', async () => {
    const metrics = new Metrics();
    const stop = new AbortController();
    const engine = new LoadEngine(metrics, {
      durationMs: 60_000,
      graceMs: 30_000,
      interruptGraceMs: 100,
      signal: stop.signal,
    });
    // An operation that ignores `stopping` and only ends on the hard abort.
    const stuck = closedModel({
      concurrency: 1,
      metric: 'op',
      op: ({ signal }) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('cancelled')), { once: true }),
        ),
    });
    setTimeout(() => stop.abort(new Error('Ctrl-C')), 100);
    const t0 = Date.now();
    const done = await engine.run([stuck]);
    expect(Date.now() - t0).toBeLessThan(30_000 / 10); // interruptGraceMs, not the 30 s grace
    expect(done).toMatchObject({ aborted: true, interrupted: true });
    expect(metrics.counter('aborted')).toBe(1);
  });
});

describe('SIGINT to the Vitest main process during a 60 s scenario', () => {
  it.each([
    // A global setup of its own that starts a managed child (the gateway's code path).
    { how: 'a managed gateway-style child', file: 'vitest.config.ts', targetPid: /interrupt-fixture target pid (\d+)/ },
    // conduitLoad with a command target (a service that is not Conduit, on port 0).
    { how: "conduitLoad's command target", file: 'vitest.plugin.config.ts', targetPid: /conduit: target pid (\d+) at/ },
  ])(
    'stops Vitest, its fork and the target within a few seconds: $how',
    async ({ file, targetPid }) => {
      const config = fileURLToPath(new URL(`./fixtures/interrupt/${file}`, import.meta.url));
      const child: ChildProcess = spawn(
        process.execPath,
        [`${root}node_modules/vitest/vitest.mjs`, 'run', '--config', config],
        {
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, FORCE_COLOR: '0', INTERRUPT_TARGET_LOG: '/dev/null' },
        },
      );
      spawned.push(child.pid!);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const pid = (what: 'fork' | 'target') =>
        Number((what === 'fork' ? /interrupt-fixture fork pid (\d+)/ : targetPid).exec(out)?.[1] ?? 0);

      // The scenario is running once the fork printed its pid.
      await until(
        () => pid('fork') > 0 && pid('target') > 0,
        30_000,
        () => `the fork and target pids in the output:\n${out}`,
        50,
      );
      const fork = pid('fork');
      const target = pid('target');
      spawned.push(fork, target);
      await new Promise((r) => setTimeout(r, 500)); // some load in flight

      const sentAt = Date.now();
      child.kill('SIGINT');
      await until(
        () => !alive(child.pid!) && !alive(fork) && !alive(target),
        8000,
        () =>
          `main, fork and target to exit (still alive after ${Date.now() - sentAt} ms: main ${alive(child.pid!)}, fork ${alive(fork)}, target ${alive(target)})\n${out}`,
        50,
      );
      const tookMs = Date.now() - sentAt;
      // Well under the 60 s the scenario would otherwise run (a couple of seconds on an idle machine).
      expect(tookMs).toBeLessThan(8000);
      expect(await exited).not.toBe(0);
    },
    60_000,
  );
});
