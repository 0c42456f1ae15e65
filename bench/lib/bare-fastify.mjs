// The baseline for bench/http-enqueue.ts: a bare Fastify app answering the gateway's
// shapes with nothing else — no auth, limits, drain guard, logs or metrics. Plain JS so
// it runs on plain node (no loader), like the built gateway. Started as a child process
// with IPC; announces {type: 'bare:ready', port, pid}; exits when the parent goes away.
//   POST /v1/enqueue  the gateway's body schema → 200 {id, stream}
//   GET  /health      200 {status, version, uptimeS, reload, streams} (the gateway's shape)
import Fastify from 'fastify';

const startedAt = Date.now();
const reload = { status: 'ok', at: new Date().toISOString() };
const app = Fastify({ logger: false });
let seq = 0;
app.post(
  '/v1/enqueue',
  {
    schema: {
      body: {
        type: 'object',
        required: ['to', 'envelope'],
        additionalProperties: false,
        properties: { to: { type: 'string' }, envelope: {} },
      },
    },
  },
  async (request) => ({ id: `m-${(++seq).toString(36)}`, stream: request.body.to }),
);
app.get('/health', async () => ({
  status: 'ok',
  version: '0.0.0',
  uptimeS: Math.round((Date.now() - startedAt) / 100) / 10,
  reload,
  streams: { backend: 'memory', status: 'ok' },
}));
await app.listen({ host: '127.0.0.1', port: 0 });
process.send({ type: 'bare:ready', port: app.server.address().port, pid: process.pid });
process.on('disconnect', () => process.exit(0));
// An orderly exit on SIGTERM, so `BENCH_NODE_ARGS=--cpu-prof` gets its profile written.
process.on('SIGTERM', () => process.exit(0));
