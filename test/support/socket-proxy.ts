// A proxy in front of a server's unix socket, for tests that need a reply lost in
// flight: `holdReplies()` keeps what the server sends from reaching the clients, and
// `cut()` then ends every client connection, so a client sees its connection drop after
// the server ran its command but before the answer came. New connections pass through.
import { createServer, connect, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SocketProxy {
  /** The proxy's socket path (use it where the server's would go). */
  readonly path: string;
  /** From now until cut(), replies are held back. */
  holdReplies(): void;
  /** Drop every client connection (and what was held), then pass traffic again. */
  cut(): void;
  close(): Promise<void>;
}

export async function startSocketProxy(target: string): Promise<SocketProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'conduit-proxy-'));
  const path = join(dir, 'proxy.sock');
  const pairs = new Set<[Socket, Socket]>();
  let holding = false;
  const server = createServer((client) => {
    const upstream = connect(target);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (!holding) client.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    holdReplies: () => {
      holding = true;
    },
    cut: () => {
      for (const [client, upstream] of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      holding = false;
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
