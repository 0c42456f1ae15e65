// The two servers bench/http-enqueue.ts compares, each a child process on 127.0.0.1
// port 0: the gateway as production runs it (`node <GATEWAY_NODE_FLAGS>
// dist/gateway/cli.js`, request log on, one token, limits checked but out of reach) and
// a bare Fastify app answering the same shapes (bench/lib/bare-fastify.mjs, plain node).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { GATEWAY_NODE_FLAGS } from '../../src/gateway/node-flags.js';
import { GATEWAY_CLI } from './build.js';
import { waitMessage } from './proc.js';

export type HttpTargetName = 'bare' | 'gateway';

export interface HttpTarget {
  name: HttpTargetName;
  /** The command line, for the report. */
  command: string;
  url: string;
  pid: number;
  child: ChildProcess;
}

export const BENCH_TOKEN = 'bench-token';

const extraNodeArgs = () => (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/**
 * The gateway with its HTTP log at `httpLog`. Every request is authenticated (one tenant
 * token), rate limited per IP and per tenant (limits set out of reach: their cost is
 * measured, their 429s are not), checked for overload and drain, logged and counted.
 */
export async function startGatewayTarget(root: string, httpLog: string): Promise<HttpTarget> {
  const nodeArgs = [...GATEWAY_NODE_FLAGS, ...extraNodeArgs()];
  const child = spawn(process.execPath, [...nodeArgs, GATEWAY_CLI], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: gatewayEnv(root, {
      CONDUIT_TOKENS: BENCH_TOKEN,
      CONDUIT_HTTP_LOG: httpLog,
      CONDUIT_RATE_LIMIT: '1000000000',
      CONDUIT_RATE_LIMIT_PER_IP: '1000000000',
      CONDUIT_STREAM_MAX_DEPTH: '1000000000',
    }),
  });
  const ready = await waitMessage<{ type: string; httpUrl: string; pid: number }>(child, 'conduit:ready');
  return {
    name: 'gateway',
    command: ['node', ...nodeArgs, 'dist/gateway/cli.js'].join(' '),
    url: ready.httpUrl,
    pid: ready.pid,
    child,
  };
}

/**
 * The environment of a bench gateway child: loopback, ports 0, config, blobs and logs in
 * `root`, warn-level app log; `overrides` win.
 */
export function gatewayEnv(root: string, overrides: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CONDUIT_HTTP_PORT: '0',
    CONDUIT_WS_PORT: '0',
    CONDUIT_BIND: '127.0.0.1',
    CONDUIT_CONFIG: join(root, 'conduit.yaml'),
    CONDUIT_BLOB_BACKEND: 'local',
    CONDUIT_BLOB_LOCAL_DIR: join(root, 'blobs'),
    CONDUIT_HTTP_LOG: join(root, 'http.jsonl'),
    CONDUIT_WS_LOG: join(root, 'ws.jsonl'),
    CONDUIT_LOG_LEVEL: 'warn',
    ...overrides,
  };
}

/** Bare Fastify: the same routes and shapes, nothing else. */
export async function startBareTarget(): Promise<HttpTarget> {
  const nodeArgs = extraNodeArgs();
  const child = spawn(process.execPath, [...nodeArgs, join(import.meta.dirname, 'bare-fastify.mjs')], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = await waitMessage<{ type: string; port: number; pid: number }>(child, 'bare:ready');
  return {
    name: 'bare',
    command: ['node', ...nodeArgs, 'bench/lib/bare-fastify.mjs'].join(' '),
    url: `http://127.0.0.1:${ready.port}`,
    pid: ready.pid,
    child,
  };
}
