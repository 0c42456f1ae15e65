// The WebSocket target of bench/ws-fleet.ts, in its own child process: the simplest
// correct credit loop of the /v1/subscribe protocol — a credit counter per socket,
// `deliver` frames made on demand, each burst batched into one TCP write — so the
// subscribers, not the server, are what the bench measures. Acks are read and dropped.
//
// IPC: sends {type:'ready', url, pid}.
import type { IncomingMessage } from 'node:http';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
let seq = 0;
wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
  const stream = new URL(req.url ?? '/', 'http://x').searchParams.get('stream') ?? 'bench';
  let credit = 0;
  ws.send(JSON.stringify({ subscribed: { stream, credit: 0 } }));
  ws.on('message', (data) => {
    const text = String(data);
    if (!text.startsWith('{"credit"')) return; // acks: nothing to do
    credit += (JSON.parse(text) as { credit: number }).credit;
    req.socket.cork();
    while (credit > 0) {
      credit--;
      const i = seq++;
      ws.send(
        `{"deliver":{"id":"${i.toString(36)}","stream":${JSON.stringify(stream)},"envelope":{"i":${i}},"attempt":1,"enqueuedAt":${Date.now()}}}`,
      );
    }
    req.socket.uncork();
  });
});
wss.on('listening', () => {
  const { port } = wss.address() as { port: number };
  process.send?.({ type: 'ready', url: `ws://127.0.0.1:${port}`, pid: process.pid });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => {
  for (const c of wss.clients) c.terminate();
  wss.close(() => process.exit(0));
});
