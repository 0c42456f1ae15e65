// Follow-up recommendations for failing checks (pure). Matched on the check's name, so
// new harness matchers get a generic recommendation until a specific one is added here.

import { inconclusiveWhy } from '../metrics.js';
import type { RunReport } from '../model.js';

const RULES: ReadonlyArray<{ match: RegExp; advice: string }> = [
  {
    match: /latenc|p\d+/i,
    advice:
      'Latency above its bound: find the slow routes in reports/gateway-http.log.jsonl (sort by durMs), compare the CO-corrected and raw histograms (a large gap means the target stalled), and check the generator was not saturated.',
  },
  {
    match: /error|fail|status/i,
    advice:
      'Error rate above its bound: read the status and error breakdown; 503s with Retry-After are caps doing their job (raise the cap or lower the load), ECONNRESET/TIMEOUT point at the target or the network.',
  },
  {
    match: /memory|leak|heap|rss/i,
    advice:
      'Memory not stable: rerun longer (CONDUIT_SOAK_DURATION_MIN) to confirm, then take heap snapshots of the target before and after (node --heapsnapshot-signal) and diff retained objects.',
  },
  {
    match: /connect/i,
    advice:
      'Connections failing: check maxConnections per tenant, the gateway WS log (reports/gateway-ws.log.jsonl, close codes) and the file-descriptor limit (ulimit -n).',
  },
  {
    match: /lost|duplicat|ledger|deliver/i,
    advice:
      'Messages lost or duplicated: look up the lost ids in reports/gateway-ws.log.jsonl and check ack timeouts and redelivery (GET /v1/stats).',
  },
  {
    match: /throughput|rate|per ?s/i,
    advice:
      'Throughput below its bound: check generator saturation first, then the target CPU and event-loop delay (/v1/metrics).',
  },
];

function adviceFor(name: string): string {
  return (
    RULES.find((r) => r.match.test(name))?.advice ??
    'Check failed: read its message above, reproduce it with the scenario alone (npm run test:load-…), and compare with the last passing results.json.'
  );
}

export function recommendations(report: RunReport): string[] {
  const out: string[] = [];
  for (const scenario of report.scenarios) {
    for (const t of scenario.thresholds.filter((x) => !x.passed)) {
      out.push(`**${scenario.scenario} — ${t.name}** (${t.message}). ${adviceFor(t.name)}`);
    }
    if (scenario.sources.some((s) => s.generator.memory?.verdict === 'growing')) {
      out.push(
        `**${scenario.scenario} — generator memory growing.** The harness process itself grows: find what it keeps per message or per request (a heap snapshot of the Vitest fork, \`node --heapsnapshot-signal\`), and do not trust a long soak's figures until it is flat.`,
      );
    }
    if (scenario.generator.saturated) {
      out.push(
        `**${scenario.scenario} — load generator saturated.** Its figures understate the target: run fewer clients per machine or distribute the scenario over several machines (see "Distributed runs").`,
      );
    }
  }
  const notJudged = report.scenarios
    .map((scenario) => ({
      scenario,
      source: scenario.sources.find((s) => s.memory.source !== 'none' && s.memory.verdict === 'inconclusive'),
    }))
    .filter((x) => x.source);
  if (notJudged.length > 0) {
    const which = notJudged.map((x) => `${x.scenario.scenario}: ${inconclusiveWhy(x.source!.memory)}`).join('; ');
    out.push(
      `**Memory trend not judged** (${which}). Not a failure, but no evidence about leaks either: a verdict needs 2 minutes of samples after the warm-up (RSS warm-up up to 60 s) and, for the post-GC heap, 8 full-GC readings — run CONDUIT_LOAD_DURATION_S=180 or longer, or the soak (CONDUIT_SOAK_DURATION_MIN=15).`,
    );
  }
  const regressions = report.baseline?.deltas.filter((d) => d.regression) ?? [];
  if (regressions.length > 0) {
    out.push(
      `**${regressions.length} regression(s) against the baseline** (${regressions.map((d) => `${d.scenario} ${d.metric}`).join(', ')}). Compare the commits between the baseline${report.baseline?.gitSha ? ` (${report.baseline.gitSha.slice(0, 12)})` : ''} and this run; rerun once to rule out a noisy machine.`,
    );
  }
  const failedTests = report.tests.filter((t) => t.state === 'failed' && !t.scenario);
  if (failedTests.length > 0) {
    out.push(
      `**${failedTests.length} test(s) failed without a scenario result** (${failedTests.map((t) => t.name).join(', ')}): the scenario did not finish; read the failure below.`,
    );
  }
  return out;
}
