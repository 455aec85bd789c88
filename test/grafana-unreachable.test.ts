import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../src/aws/clients.js';
import { connectGrafana } from '../src/grafana/connect.js';
import { silentReporter, type Reporter } from '../src/ui/reporter.js';
import { setTimeScale } from '../src/util/time.js';

// up's wait for Grafana through the ALB: connections that only ever time out (an ALB whose security
// group drops this machine) end the wait after about 30 s, naming --allow-cidr; HTTP errors (Grafana
// still starting behind a reachable ALB) keep the full wait. Only loopback servers are involved.
setTimeScale(0.01);

let hung: TcpServer;
let starting: Server;
const sockets: Socket[] = [];
const urlOf = (s: { address(): AddressInfo | string | null }) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/dashboard`;

beforeAll(async () => {
  // Accepts and reads, never answers: what a request through a silently dropping firewall looks like.
  hung = createTcpServer((socket) => { sockets.push(socket); socket.on('data', () => undefined); });
  starting = createServer((_req, res) => { res.writeHead(502).end("<html>502 Bad Gateway</html>"); });
  await Promise.all([hung, starting].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([hung, starting].map((s) => new Promise((r) => s.close(r))));
});

const waits: string[] = [];
const reporter: Reporter = { ...silentReporter, waiting: (_k, text) => waits.push(text) };
const connect = (url: string, allowCidr: string) =>
  connectGrafana({ aws: new AwsClients({ region: 'us-east-1' }), secretName: 'unused', url, reporter, viaAlb: true, allowCidr });

describe('Grafana unreachable through the ALB', () => {
  it('only timeouts: stops after ~30 s (scaled), naming --allow-cidr and the fixes', async () => {
    const err = await connect(urlOf(hung), '203.0.113.0/24').catch((e) => e);
    expect(err.name).toBe('GrafanaError');
    expect(err.message).toBe(`Grafana at ${urlOf(hung)} did not answer for 30s: every connection timed out; the load balancer admits only --allow-cidr 203.0.113.0/24, and this machine's address may be outside it: pass --allow-cidr <your ip>/32 (or a block holding it), or reach Grafana another way with --grafana-url, then run up again`);
  });

  it('open to everyone: the same early stop, without blaming --allow-cidr', async () => {
    const err = await connect(urlOf(hung), '0.0.0.0/0').catch((e) => e);
    expect(err.message).toMatch(/did not answer for 30s: every connection timed out; something between this machine and the load balancer drops the connections/);
  });

  it('HTTP errors are an answer: the full wait, then its own timeout', async () => {
    const err = await connect(urlOf(starting), '203.0.113.0/24').catch((e) => e);
    expect(err.message).toMatch(/^timed out after 5m00s waiting for Grafana at .*; last seen: Grafana answered 502 Bad Gateway to GET \/api\/health;/);
    expect(err.message).not.toMatch(/allow-cidr/);
  });
});
