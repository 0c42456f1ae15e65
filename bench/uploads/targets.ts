// The servers the uploads bench measures, each a child process: the gateway as production
// runs it (`npm start`: `node <GATEWAY_NODE_FLAGS> dist/gateway/cli.js`), the raw stream-to-disk baseline, and the raw
// server plus sha256 of every byte — the reference for what the hashing requirement alone
// costs on this machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { GATEWAY_NODE_FLAGS } from '../../src/gateway/node-flags.js';
import { GATEWAY_CLI as CLI } from '../lib/build.js';
import { gatewayEnv } from '../lib/http-targets.js';
import { waitMessage } from '../lib/proc.js';

export { ensureBuilt } from '../lib/build.js';

export type TargetName = 'gateway' | 'raw' | 'raw+sha256';

export interface Target {
  name: TargetName;
  /** The command line, for the report. */
  command: string;
  url: string;
  pid: number;
  child: ChildProcess;
}

// Both raw servers write each request body, unparsed, to its own file with the blob
// store's durability (fs write stream with flush: fsync before close), and answer 201.
// RAW_HASH also hashes (sha256, inline) every byte on the way, as a Transform.
const rawServer = (hash: boolean) => `
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
let n = 0;
const dir = process.env.RAW_DIR;
const server = createServer(async (req, res) => {
  try {
    const file = createWriteStream(join(dir, 'u' + (n++)), { flush: true });
    let sha256 = '';
    if (${hash}) {
      const h = createHash('sha256');
      await pipeline(req, new Transform({ transform(c, _e, cb) { h.update(c); cb(null, c); } }), file);
      sha256 = h.digest('hex');
    } else {
      await pipeline(req, file);
    }
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, sha256 }));
  } catch { res.destroy(); }
});
server.listen(0, '127.0.0.1', () => process.send({ type: 'raw:ready', port: server.address().port, pid: process.pid }));
process.on('disconnect', () => process.exit(0));
`;

/** The gateway on the local blob store under `root`, its limits opened to `uploads` × `size`. */
export async function startGateway(root: string, uploads: number, size: number): Promise<Target> {
  // BENCH_GATEWAY_NODE_ARGS adds flags (e.g. --trace-gc); BENCH_GATEWAY_PLAIN_NODE=1 drops the gateway's own.
  const own = process.env.BENCH_GATEWAY_PLAIN_NODE === '1' ? [] : GATEWAY_NODE_FLAGS;
  const nodeArgs = [...own, ...(process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const child = spawn(process.execPath, [...nodeArgs, CLI], {
    cwd: root,
    // BENCH_GATEWAY_STDOUT=1 shows the gateway's stdout (e.g. with BENCH_GATEWAY_NODE_ARGS=--trace-gc).
    stdio: ['ignore', process.env.BENCH_GATEWAY_STDOUT === '1' ? 'inherit' : 'ignore', 'inherit', 'ipc'],
    env: gatewayEnv(root, {
      CONDUIT_MAX_CONCURRENT_UPLOADS: String(uploads),
      CONDUIT_MAX_CONCURRENT_UPLOADS_PER_IP: String(uploads),
      CONDUIT_MAX_CONCURRENT_UPLOADS_PER_TENANT: String(uploads),
      CONDUIT_MULTIPART_MAX_PART_SIZE: String(size + 1024),
      CONDUIT_MAX_UPLOAD_SIZE: String(size + 1024),
    }),
  });
  const ready = await waitMessage<{ type: string; httpUrl: string; pid: number }>(child, 'conduit:ready');
  return {
    name: 'gateway',
    command: ['node', ...nodeArgs, 'dist/gateway/cli.js'].join(' '),
    url: `${ready.httpUrl}/v1/upload`,
    pid: ready.pid,
    child,
  };
}

/** A raw server writing into `dir` (which must exist); `hash` adds sha256 of every byte. */
export async function startRaw(dir: string, hash: boolean): Promise<Target> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', rawServer(hash)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, RAW_DIR: dir },
  });
  const ready = await waitMessage<{ type: string; port: number; pid: number }>(child, 'raw:ready');
  return {
    name: hash ? 'raw+sha256' : 'raw',
    command: 'node -e <raw server>',
    url: `http://127.0.0.1:${ready.port}/upload`,
    pid: ready.pid,
    child,
  };
}
