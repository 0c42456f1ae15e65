// The machine view: which process took the CPU, judged from /proc readings.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { judgeMachine, MachineMonitor } from '../../src/load/index.js';
import type { MachineReading } from '../../src/load/index.js';

const at = (s: number, r: Omit<MachineReading, 'at'>): MachineReading => ({ at: s * 1000, ...r });
const zero = at(0, { generatorS: 0, targetS: 0, processesS: 0, irqS: 0 });

describe('judgeMachine', () => {
  it('says the machine was CPU-bound, and who took the CPU', () => {
    const view = judgeMachine(zero, at(10, { generatorS: 9, targetS: 10, processesS: 19.5, irqS: 1 }), 2.0, 2);
    expect(view).toMatchObject({
      cores: 2,
      limit: 'machine',
      generatorCores: 0.9,
      targetCores: 1,
      otherCores: 0.05,
      irqCores: 0.1,
    });
    expect(view.summary).toBe(
      'machine CPU-bound (2.05 of 2 cores): target 1.00, generator 0.90, other processes 0.05, kernel interrupts 0.10',
    );
  });

  it('names the target at a full core, or the generator at its limit, when the machine had room', () => {
    expect(judgeMachine(zero, at(10, { generatorS: 3, targetS: 9.6, processesS: 12.6, irqS: 0.5 }), 1.4, 4).limit).toBe(
      'target',
    );
    const gen = judgeMachine(zero, at(10, { generatorS: 9.5, targetS: 2, processesS: 11.5, irqS: 0.5 }), 1.3, 4);
    expect(gen.limit).toBe('generator');
    expect(gen.summary).toBe(
      'generator at its limit (1 event loop): target 0.20, generator 0.95, other processes 0.00, kernel interrupts 0.05 of 4 cores',
    );
    // Two worker threads: 1.5 cores is not the limit of two event loops.
    expect(judgeMachine(zero, at(10, { generatorS: 15, targetS: 2, processesS: 17, irqS: 0 }), 1.8, 4, 2).limit).toBe(
      'none',
    );
  });

  it('without the target pid it reports the rest and says so', () => {
    const view = judgeMachine(
      at(0, { generatorS: 0, targetS: undefined, processesS: 0, irqS: 0 }),
      at(10, { generatorS: 2, targetS: undefined, processesS: 8, irqS: 0 }),
      1,
      4,
    );
    expect(view.targetCores).toBeUndefined();
    expect(view).toMatchObject({ limit: 'none', otherCores: 0.6 });
    expect(view.summary).toMatch(/target CPU unknown: no pid/);
  });
});

describe('MachineMonitor', () => {
  it('reads the CPU of a target process by pid', async () => {
    // A target that spins for a second and a half of CPU time (longer on a loaded machine).
    const spin =
      'const s = process.cpuUsage(); for (;;) { const d = process.cpuUsage(s); if (d.user + d.system > 1.5e6) break; }';
    const child = spawn(process.execPath, ['-e', spin]);
    const monitor = new MachineMonitor({ pid: child.pid, intervalMs: 200 }).start();
    await once(child, 'exit');
    const view = await monitor.stop();
    // Its share of a core: all of one on a quiet machine, less beside other busy processes.
    expect(view.targetCores).toBeGreaterThan(0.1);
    expect(view.targetCores!).toBeGreaterThan(view.generatorCores);
    // The limit agrees with the figures. In a parallel suite on 2 cores the spinning child
    // may get less than a full core, and then it is not the limit.
    // (targetCores is rounded to 0.01; the limit is judged on the exact figure, 0.9.)
    const allowed =
      view.targetCores! > 0.9
        ? ['target', 'machine']
        : view.targetCores! < 0.9
          ? ['none', 'machine']
          : ['target', 'none', 'machine'];
    expect(allowed).toContain(view.limit);
    expect(view.busiestCores).toBeGreaterThan(0.5);
    expect(view.busiestCores).toBeLessThanOrEqual(view.cores + 0.2); // never more cores than the machine has
  });
});
