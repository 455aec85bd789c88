import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulation, type Simulation } from '@fargate-prom/aws-sim/testing';
import { runCli, simEnv } from './support/cli.js';
import { freeClosedPort } from './support/ports.js';

// `load` through the built CLI against servers on 127.0.0.1 that count what they receive. The sandbox's
// app and the charts from a real agent and Prometheus are in test/sandbox.test.ts.

interface Counting {
  url: string;
  /** Requests the server received (counted on arrival, whatever it then answers). */
  received(): number;
  stop(): Promise<void>;
}

/** `answer(n)` for the n-th request (1-based): a status, or 'reset' to drop the connection unanswered. */
async function countingServer(answer: (n: number) => number | 'reset' = () => 200): Promise<Counting> {
  let n = 0;
  const server: Server = createServer((req, res) => {
    const a = answer(++n);
    if (a === 'reset') {
      req.socket.destroy();
      return;
    }
    res.writeHead(a, { 'content-type': 'text/plain' });
    res.end('ok\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    received: () => n,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const servers: Counting[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
async function serve(answer?: (n: number) => number | 'reset') {
  const s = await countingServer(answer);
  servers.push(s);
  return s;
}

/** The error is one line, the last, with no stack trace. */
function oneLineError(stderr: string) {
  const lines = stderr.trim().split('\n');
  expect(lines.filter((l) => l.startsWith('error:'))).toHaveLength(1);
  expect(lines.at(-1)).toMatch(/^error: /);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines.at(-1)!;
}

describe('load --url against a local counting server', () => {
  it('holds the rate: the total is what the server received, all ok, percentiles ordered', async () => {
    const server = await serve();
    const run = await runCli(['load', '--url', server.url, '--rate', '100', '--duration', '3s', '--connections', '5', '--json'], simEnv());
    expect(run.code, run.stderr).toBe(0);
    const r = run.json();
    expect(Object.keys(r).slice(0, 5)).toEqual(['url', 'durationSeconds', 'rate', 'requests', 'latencyMs']);
    expect(r.url).toBe(server.url);
    expect(r.durationSeconds).toBe(3);
    expect(r.requests.total).toBe(server.received());
    expect(r.requests.total).toBeGreaterThan(0);
    expect(r.requests).toMatchObject({ ok: r.requests.total, errors: 0, statusCodes: { 200: r.requests.total } });
    expect(r.rate.target).toBe(100);
    expect(Math.abs(r.rate.achieved - 100)).toBeLessThanOrEqual(10);
    // The achieved rate is what the server saw over the run, not the target echoed.
    expect(r.rate.achieved).toBeCloseTo(server.received() / 3, 1);
    const { p50, p90, p99, max } = r.latencyMs;
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p90);
    expect(p90).toBeLessThanOrEqual(p99);
    expect(p99).toBeLessThanOrEqual(max);
  });

  it('counts 5xx answers and dropped connections as errors, and still totals what the server received', async () => {
    // Every 5th request a 503, every 7th (not also a 5th) the connection is dropped unanswered.
    const server = await serve((n) => (n % 5 === 0 ? 503 : n % 7 === 0 ? 'reset' : n % 11 === 0 ? 302 : 200));
    const run = await runCli(['load', '--url', server.url, '--rate', '60', '--duration', '2s', '--json'], simEnv());
    expect(run.code, run.stderr).toBe(0);
    const r = run.json();
    const received = server.received();
    expect(r.requests.total).toBe(received);
    const count = (p: (n: number) => boolean) => Array.from({ length: received }, (_, i) => i + 1).filter(p).length;
    const fives = count((n) => n % 5 === 0);
    const resets = count((n) => n % 5 !== 0 && n % 7 === 0);
    const redirects = count((n) => n % 5 !== 0 && n % 7 !== 0 && n % 11 === 0);
    expect(r.requests.statusCodes).toEqual({ 200: received - fives - resets - redirects, 302: redirects, 503: fives });
    expect(r.requests.errors).toBe(fives + resets);
    expect(r.requests.resets).toBe(resets);
    // 3xx counts as ok.
    expect(r.requests.ok).toBe(received - fives - resets);
    expect(r.requests.ok + r.requests.errors).toBe(r.requests.total);
  });

  it('Ctrl-C stops sending early, waits for the requests in flight and still reports (exit 130)', async () => {
    const server = await serve();
    let pid = 0;
    let signalled = false;
    const run = await runCli(['load', '--url', server.url, '--rate', '40', '--duration', '60s', '--json'], simEnv(), {
      onSpawn: (p) => (pid = p),
      onStderr: (stderr) => {
        if (signalled || !stderr.includes('Sending 40 req/s')) return;
        signalled = true;
        setTimeout(() => process.kill(pid, 'SIGINT'), 1500);
      },
    });
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain('interrupted: sending nothing more');
    const r = run.json();
    expect(r.interrupted).toBe(true);
    expect(r.durationSeconds).toBeLessThan(60);
    expect(r.requests.total).toBe(server.received());
    expect(r.requests).toMatchObject({ ok: r.requests.total, errors: 0 });
    // Whole seconds of sending at the rate (the last one may have been cut short by the Ctrl-C).
    expect(r.requests.total).toBeLessThanOrEqual(40 * r.durationSeconds);
    expect(r.requests.total).toBeGreaterThan(40 * (r.durationSeconds - 1));
  });

  it('prints a report for people without --json', async () => {
    const server = await serve();
    const run = await runCli(['load', '--url', server.url, '--rate', '20', '--duration', '1s'], simEnv());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Load on ${server.url}`);
    expect(run.stdout).toMatch(new RegExp(`Requests: +${server.received()} sent in 1s, ${server.received()} ok`));
    expect(run.stdout).toMatch(/Latency: +p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms/);
  });
});

describe('load: bad input and unreachable targets', () => {
  it('refuses out-of-range flags and non-http(s) URLs with exit 2, naming the flag, before any request', async () => {
    const server = await serve();
    const cases: [string[], string][] = [
      [['--rate', '0'], '--rate'],
      [['--rate', '10001'], '--rate'],
      [['--rate', '1.5'], '--rate'],
      [['--duration', '0s'], '--duration'],
      [['--duration', '2h'], '--duration'],
      [['--duration', 'soon'], '--duration'],
      [['--connections', '0'], '--connections'],
      [['--path', 'no-slash'], '--path'],
    ];
    for (const [flags, flag] of cases) {
      const run = await runCli(['load', '--url', server.url, ...flags], simEnv());
      expect(run.code, `${flags.join(' ')}: ${run.stderr}`).toBe(2);
      expect(oneLineError(run.stderr)).toMatch(new RegExp(`^error: ${flag}: `));
    }
    for (const url of ['ftp://127.0.0.1/', 'not a url', '127.0.0.1:8080']) {
      const run = await runCli(['load', '--url', url], simEnv());
      expect(run.code, run.stderr).toBe(2);
      expect(oneLineError(run.stderr)).toMatch(/^error: --url: /);
    }
    expect(server.received()).toBe(0);
  });

  it('a closed port or a name that does not resolve: exit 1, one line', async () => {
    const port = await freeClosedPort();
    const closed = await runCli(['load', '--url', `http://127.0.0.1:${port}/`, '--duration', '1s'], simEnv());
    expect(closed.code, closed.stderr).toBe(1);
    expect(oneLineError(closed.stderr)).toContain('connection refused');
    const dns = await runCli(['load', '--url', 'http://fargate-prom-load.invalid/', '--duration', '1s'], simEnv());
    expect(dns.code, dns.stderr).toBe(1);
    expect(oneLineError(dns.stderr)).toContain('does not resolve');
  });

  it('a certificate that does not verify: exit 1, one line, no request sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fargate-prom-load-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
      let received = 0;
      const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
        received++;
        res.end('ok\n');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const run = await runCli(['load', '--url', `https://127.0.0.1:${(server.address() as AddressInfo).port}/`, '--duration', '1s'], simEnv());
        expect(run.code, run.stderr).toBe(1);
        expect(oneLineError(run.stderr)).toMatch(/TLS error: self.signed certificate/);
        expect(received).toBe(0);
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('load against a stack', () => {
  let sim: Simulation;
  beforeAll(async () => {
    sim = await startSimulation({ region: 'us-east-1' });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('no such stack: exit 4, nothing sent, nothing changed', async () => {
    const server = await serve();
    sim.clearCalls();
    const run = await runCli(['load', '--name', 'nostack', '--endpoint-url', sim.endpoint, '--app-url', server.url, '--duration', '1s'], simEnv());
    expect(run.code, run.stderr).toBe(4);
    expect(oneLineError(run.stderr)).toBe('error: no stack named nostack in us-east-1 (nothing carries the tag fargate-prom:stack=nostack)');
    expect(server.received()).toBe(0);
    expect(sim.calls().length).toBeGreaterThan(0);
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });
});
