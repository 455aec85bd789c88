import { createServer } from 'node:net';

/**
 * A loopback port nothing listens on: bound on port 0 (the OS picks a free one), then closed, so a
 * connection to it is refused. Tests use it instead of a fixed port, which may be in use.
 */
export async function freeClosedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok, fail) => srv.once('error', fail).listen(0, '127.0.0.1', () => ok()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}
