import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, simEnv } from './support/cli.js';

// An endpoint that accepts connections and never answers: Ctrl-C must still end the command promptly.
let server: Server;
const sockets = new Set<Socket>();
let endpoint: string;

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', () => undefined); // read the request, never reply
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('an AWS endpoint that never answers', () => {
  it.each([
    ['status', ['status', '--name', 'hung']],
    ['up', ['up', '--name', 'hung', '--app-image', 'ghcr.io/acme/shop:1.4', '--yes']],
  ])('%s: Ctrl-C cuts the hanging calls off after the grace period and exits 130', async (_name, args) => {
    let pid = 0;
    const connected = new Promise<void>((resolve) => server.once('connection', () => resolve()));
    const running = runCli([...args, '--endpoint-url', endpoint], simEnv({ FARGATE_PROM_TIME_SCALE: undefined }), { timeoutMs: 60_000, onSpawn: (p) => (pid = p) });
    // Ctrl-C once the CLI is inside its first call, which will never be answered.
    await connected;
    const interruptedAt = Date.now();
    process.kill(pid, 'SIGINT');
    const run = await running;
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain('interrupted: starting nothing new');
    expect(run.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
    // The behaviour under test, not a speed: the 5 s grace ended it, not the 20 s request timeout.
    expect(Date.now() - interruptedAt).toBeLessThan(15_000);
  });
});
