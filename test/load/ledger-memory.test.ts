// The delivery ledger and clock through a soak's worth of synthetic messages, memory
// measured in a child process run with --expose-gc (two forced full GCs before each
// reading of the heap): 1.44 million messages at 100 per second of a synthetic clock —
// four hours of the soak scenario's rate (~350,000 messages an hour) — with losses,
// unanswered enqueues, nacks and redeliveries, duplicates soon and long after, foreign
// messages. The heap and the ledger's per-message state after 4 hours are no larger
// than after 1; the counts are exactly those the trace implies. The exact reference
// ledger, run the same way on a smaller sample, gives the same counts and visibly grows
// (so the measurement can see growth).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const entry = fileURLToPath(new URL('./fixtures/ledger-soak.ts', import.meta.url));
const MiB = 1024 * 1024;
const HOUR = 360_000; // messages in one synthetic hour at 100/s

interface Mark {
  messages: number;
  heapUsedBytes: number;
  footprint: { messages: number; intervals: number; queued: number };
  anomalies: number;
  clock: { sent: number; early: number };
  seriesPoints: number;
  samples: number;
}
interface SoakOutput {
  expected: Record<string, number>;
  summary: Record<string, number>;
  marks: Mark[];
}

async function soak(mode: 'bounded' | 'exact', messages: number, checkpoints: number[]): Promise<SoakOutput> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--max-semi-space-size=32', '--import', 'tsx', entry],
    {
      env: {
        ...process.env,
        LEDGER_SOAK_MODE: mode,
        LEDGER_SOAK_MESSAGES: String(messages),
        LEDGER_SOAK_CHECKPOINTS: checkpoints.join(','),
        LEDGER_SOAK_RATE: '100',
      },
      maxBuffer: 1024 * 1024,
      timeout: 110_000,
    },
  );
  return JSON.parse(stdout) as SoakOutput;
}

describe('ledger and clock memory over millions of messages', () => {
  it('stays flat from the first synthetic hour to the fourth, with exact counts', async () => {
    // Checkpoints in the middle of the stream (messages still in flight), at 1 h and 4 h.
    const out = await soak('bounded', 4 * HOUR + 10_000, [HOUR, 4 * HOUR]);
    expect(out.summary).toEqual(out.expected);
    expect(out.summary.lost).toBeGreaterThan(1000);
    expect(out.summary.duplicates).toBeGreaterThan(10_000);
    const [oneHour, fourHours] = out.marks as [Mark, Mark];
    // Within 2 MiB (the expiry queues' arrays are compacted in steps); the unbounded ledger
    // keeps ~270 B per message: three more hours would be ~290 MiB more.
    expect(fourHours.heapUsedBytes).toBeLessThan(oneHour.heapUsedBytes + 2 * MiB);
    // Per-message state: the messages of the retain window (120 s × 100/s), not of the run.
    expect(oneHour.footprint.messages).toBeLessThan(20_000);
    expect(fourHours.footprint.messages).toBeLessThan(oneHour.footprint.messages * 1.1);
    expect(fourHours.footprint.queued).toBeLessThan(oneHour.footprint.queued * 1.1);
    // The run-length sets grow only with the anomalies (one gap each), not with the messages.
    for (const m of [oneHour, fourHours])
      expect(m.footprint.intervals).toBeLessThanOrEqual(m.anomalies + m.footprint.messages + 3);
    expect(fourHours.clock.sent + fourHours.clock.early).toBeLessThan(1000);
    expect(fourHours.seriesPoints).toBeLessThanOrEqual(600);
    expect(fourHours.samples).toBeLessThanOrEqual(4000);
  }, 120_000);

  it('the exact reference gives the same counts on a smaller sample, and grows (the control)', async () => {
    const out = await soak('exact', 150_000, [50_000, 150_000]);
    expect(out.summary).toEqual(out.expected);
    const [early, late] = out.marks as [Mark, Mark];
    expect(late.heapUsedBytes - early.heapUsedBytes).toBeGreaterThan(10 * MiB);
  }, 120_000);
});
