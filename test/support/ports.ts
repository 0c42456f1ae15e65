// A loopback port nothing listens on right now: bound on port 0 (the kernel picks a free
// one), then closed. A client connecting to it is refused (`closedPort`); a service
// started next can bind it (`freePort`). Never port 9 or any other fixed number, which
// something may listen on.
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A port a connection to is refused (the same as freePort, named for what the test needs). */
export const closedPort = freePort;
