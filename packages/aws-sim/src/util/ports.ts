import { createServer } from 'node:net';

/**
 * A free TCP port on the loopback interface: the kernel picks one for a server listening on port 0,
 * which is then closed. Nothing listens on it when this resolves (until the caller binds it).
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
