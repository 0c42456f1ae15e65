// The process entry behind `conduit serve`: build a gateway from the environment,
// listen, announce the real addresses (one stdout line and, for a child process, an
// IPC message), then turn signals into operations:
//   SIGHUP           reload the YAML file (an invalid file keeps the old config)
//   SIGTERM, SIGINT  drain, close, exit 0 — or exit 1 when CONDUIT_DRAIN_TIMEOUT_MS
//                    passed first; a second SIGTERM/SIGINT exits 1 at once (one
//                    arriving within 1 s of the first is taken as the same stop:
//                    a terminal's Ctrl-C reaches both a supervisor such as
//                    `tsx watch` and its child, which then relays it again)
// Startup failures print the reason on stderr (and IPC `conduit:error`) and exit 1.
import { createGateway, type Gateway } from './app.js';
import { parseEnv } from './config/env.js';
import { missingNodeFlags } from './node-flags.js';

export const READY_PREFIX = 'conduit ready ';

export interface ReadyMessage {
  type: 'conduit:ready';
  httpUrl: string;
  wsUrl: string;
  pid: number;
}

export interface ErrorMessage {
  type: 'conduit:error';
  message: string;
}

function send(msg: ReadyMessage | ErrorMessage): Promise<void> {
  if (typeof process.send !== 'function' || !process.connected) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      process.send!(msg, undefined, {}, () => resolve());
    } catch {
      resolve();
    }
  });
}

async function fail(message: string): Promise<never> {
  process.stderr.write(`conduit: cannot start: ${message}\n`);
  await send({ type: 'conduit:error', message });
  process.exit(1);
}

/** A stop signal this soon after the first one is the same stop, relayed. */
const DUPLICATE_SIGNAL_MS = 1000;

/** Run the gateway until a signal stops it. Resolves only on failure paths via process.exit. */
export async function serve(environment: NodeJS.ProcessEnv = process.env): Promise<void> {
  // A reader of our stdout that went away (EPIPE) must not crash or wedge the gateway.
  process.stdout.on('error', () => {});

  let gateway: Gateway;
  try {
    const env = parseEnv(environment);
    // The default config path may be absent; a path set explicitly must exist.
    const explicit = environment.CONDUIT_CONFIG !== undefined && environment.CONDUIT_CONFIG !== '';
    gateway = await createGateway({ env, configOptional: !explicit });
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  const { ctx } = gateway;
  const missing = missingNodeFlags();
  if (missing.length > 0) {
    ctx.logs.app.warn(
      { event: 'node-flags', missing },
      `started without ${missing.join(' ')} (npm start passes it): expect a higher peak RSS under upload load; see docs/SRE-RUNBOOK.md`,
    );
  }
  let addresses;
  try {
    addresses = await gateway.listen();
  } catch (err) {
    await gateway.close().catch(() => {});
    return fail(err instanceof Error ? err.message : String(err));
  }

  // Signal handlers first: whoever reads the ready line may signal at once.
  process.on('SIGHUP', () => {
    ctx.logs.app.info({ event: 'signal', signal: 'SIGHUP' }, 'reloading configuration');
    void ctx.config.reload();
  });

  let stoppingSince: number | undefined;
  const stop = async (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < DUPLICATE_SIGNAL_MS) return;
      ctx.logs.app.warn({ event: 'signal', signal }, 'second stop signal: exiting now');
      process.exit(1);
    }
    stoppingSince = Date.now();
    ctx.logs.app.info({ event: 'signal', signal }, 'draining');
    const result = await gateway.drain();
    await gateway.close().catch(() => {});
    process.exit(result.drained ? 0 : 1);
  };
  process.on('SIGTERM', (s) => void stop(s));
  process.on('SIGINT', (s) => void stop(s));

  const ready: ReadyMessage = { type: 'conduit:ready', ...addresses, pid: process.pid };
  process.stdout.write(
    `${READY_PREFIX}${JSON.stringify({ httpUrl: ready.httpUrl, wsUrl: ready.wsUrl, pid: ready.pid })}\n`,
  );
  await send(ready);
}
