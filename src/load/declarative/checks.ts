// Checks a declared scenario can add after its thresholds (LoadTestSpec.after returns
// them): each is a ThresholdOutcome, recorded in the result (so the report lists it with
// the thresholds) and asserted once by loadTest.
import { setTimeout as delay } from 'node:timers/promises';
import type { ThresholdOutcome } from '../result.js';
import type { ConduitTarget } from '../target.js';
import type { ScenarioKit } from './workloads.js';

/** Our side of a clean shutdown: every subscriber closed by this client with 1000. */
export function subscribersClosedCleanly(kit: Pick<ScenarioKit, 'closes'>): ThresholdOutcome {
  const unclean = kit.closes.filter((c) => !(c.byClient && c.code === 1000));
  return {
    name: 'subscribers closed cleanly',
    measured: unclean.length,
    allowed: 0,
    passed: unclean.length === 0,
    message: `${unclean.length} of ${kit.closes.length} subscribers did not close with 1000 (${unclean.map((c) => c.code).join(', ') || 'none'})`,
  };
}

/**
 * The target's side: no WebSocket connection left open (`ws.connections.open` in its
 * metrics, polled for up to `waitMs`: closes are asynchronous). Not checked when the
 * target reports no such figure.
 */
export async function noLingeringConnections(
  target: Pick<ConduitTarget, 'metricsUrl' | 'token'>,
  waitMs = 5000,
): Promise<ThresholdOutcome> {
  const open = await openConnections(target, waitMs);
  return {
    name: 'no lingering connections on the target',
    measured: open ?? 'unknown',
    allowed: 0,
    passed: open === undefined || open === 0,
    message:
      open === undefined
        ? 'target does not report ws.connections.open (not checked)'
        : `${open} WebSocket connections still open on the target`,
  };
}

async function openConnections(
  { metricsUrl, token }: Pick<ConduitTarget, 'metricsUrl' | 'token'>,
  waitMs: number,
): Promise<number | undefined> {
  if (!metricsUrl) return undefined;
  const deadline = Date.now() + waitMs;
  for (;;) {
    let open: number | undefined;
    try {
      const res = await fetch(metricsUrl, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      const json = (await res.json()) as { ws?: { connections?: { open?: number } } };
      open = json.ws?.connections?.open;
    } catch {
      return undefined;
    }
    if (open === undefined || open === 0 || Date.now() >= deadline) return open;
    await delay(100); // the target gives no event for "my last socket closed"
  }
}
