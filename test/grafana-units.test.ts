import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AwsClients } from '../src/aws/clients.js';
import { GrafanaClient, isLoopback, networkReason } from '../src/grafana/api.js';
import { grafanaUpStep, plainHttpWarning } from '../src/grafana/up-step.js';
import { makeSpec } from '../src/stack/spec.js';
import { type Reporter, silentReporter } from '../src/ui/reporter.js';
import { GNET_TIMEOUT_MS, prepareDashboard, shippedDashboard } from '../src/grafana/dashboard.js';
import { connectGrafana } from '../src/grafana/connect.js';
import { FIXTURES } from './support/environment.js';
import { datasourceRefs, REGION, DS_UID, DASH_UID } from './support/grafana-stack.js';

// Grafana's pure parts (the dashboard rewrite, network reasons) and the plain-HTTP warning, in-process.

describe('pure parts', () => {
  it('rewrites every datasource reference of 11159 (literal "Prometheus", the variable) and keeps the built-in annotation', () => {
    const model = JSON.parse(readFileSync(resolve(FIXTURES, 'dashboard-11159.json'), 'utf8'));
    const d = prepareDashboard(model, DS_UID, DASH_UID);
    expect(d.uid).toBe(DASH_UID);
    expect(d.id).toBeNull();
    const refs = datasourceRefs(d);
    expect(refs.filter((r) => r === 'Prometheus')).toEqual([]);
    expect(refs.filter((r) => JSON.stringify(r).includes('-- Grafana --'))).toHaveLength(1);
    // The input model itself is untouched.
    expect(datasourceRefs(model).filter((r) => r === 'Prometheus').length).toBeGreaterThan(9);
  });

  it('the shipped dashboard covers every metric of 11159 with a query on the instance variable', () => {
    const gnet = JSON.parse(readFileSync(resolve(FIXTURES, 'dashboard-11159.json'), 'utf8'));
    const metrics = (d: any) => new Set(d.panels.flatMap((p: any) => p.targets.flatMap((t: any) => t.expr.match(/\b(?:process|nodejs)_[a-z_]+/g))));
    const shipped = shippedDashboard();
    expect([...metrics(gnet)].filter((m) => !metrics(shipped).has(m))).toEqual([]);
    for (const p of shipped.panels) for (const t of p.targets) expect(t.expr).toContain('instance=~"$instance"');
    expect(shipped.templating.list[0].query.query ?? shipped.templating.list[0].query).toBe('label_values(nodejs_version_info, instance)');
  });

  it('a Grafana without egress stalls up for seconds, not minutes: the grafana.com proxy has its own short bound', () => {
    expect(GNET_TIMEOUT_MS).toBeGreaterThanOrEqual(5_000);
    expect(GNET_TIMEOUT_MS).toBeLessThanOrEqual(15_000);
  });

  // Unit-level: a real lookup of a name that does not resolve would ask a DNS server, and the tests
  // talk only to 127.0.0.1.
  it('names the network failure: DNS, refused, closed, timed out', () => {
    const fetchError = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(`getaddrinfo ${code} grafana.example`), { code }) });
    expect(networkReason(fetchError('ENOTFOUND'))).toBe('its host name does not resolve (DNS)');
    expect(networkReason(fetchError('EAI_AGAIN'))).toBe('its host name does not resolve (DNS)');
    expect(networkReason(fetchError('ECONNREFUSED'))).toBe('connection refused');
    expect(networkReason(fetchError('UND_ERR_SOCKET'))).toBe('the connection was closed');
    expect(networkReason(fetchError('UND_ERR_CONNECT_TIMEOUT'))).toBe('the connection timed out');
    expect(networkReason(new Error('something else'))).toBe('something else');
  });

  it('a name that does not resolve is flagged on the error, and the wait for Grafana ends with the DNS hint', async () => {
    const fetchError = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('getaddrinfo ENOTFOUND shop-alb.example'), { code: 'ENOTFOUND' }) });
    const fetchMock = vi.spyOn(globalThis, 'fetch').mockRejectedValue(fetchError);
    try {
      const url = 'http://shop-alb.example/dashboard';
      await expect(new GrafanaClient({ baseUrl: url }).get('/api/health')).rejects.toMatchObject({ code: 'GRAFANA', unresolved: true, timedOut: false });
      const wait = connectGrafana({ aws: new AwsClients({ region: 'us-east-1' }), secretName: 'unused', url, reporter: silentReporter, waitMs: 1, viaAlb: true });
      await expect(wait).rejects.toMatchObject({ code: 'GRAFANA' });
      await expect(wait).rejects.toThrow(/^timed out after .* waiting for Grafana at http:\/\/shop-alb\.example\/dashboard\/api\/health; last seen: .*does not resolve \(DNS\); the load balancer's name does not resolve from here/);
    } finally {
      fetchMock.mockRestore();
    }
  });

  it('plain HTTP is only fine on loopback', () => {
    expect(isLoopback('http://127.0.0.1:3000/dashboard')).toBe(true);
    expect(isLoopback('http://localhost:3000/')).toBe(true);
    expect(isLoopback('http://[::1]:3000/')).toBe(true);
    expect(isLoopback('http://shop-alb-123.us-east-1.elb.amazonaws.com/dashboard/')).toBe(false);
    expect(isLoopback('http://10.0.0.5:3000/')).toBe(false);
  });
});

describe('the plain-HTTP warning of up', () => {
  // grafanaUpStep in-process with a capturing reporter. fetch is replaced for the test: it records where
  // the step would connect and stops the step there, so nothing is resolved or sent anywhere.
  async function stepEvents(stackUrl: string): Promise<string[]> {
    const events: string[] = [];
    const stop = new AbortController();
    const reporter: Reporter = {
      ...silentReporter,
      phase: (t) => events.push(`phase: ${t}`),
      info: (t) => events.push(`info: ${t}`),
      warn: (t) => events.push(`warn: ${t}`),
    };
    vi.stubGlobal('fetch', async (url: string | URL) => {
      events.push(`fetch: ${String(url)}`);
      stop.abort(new Error('stopped at the first request'));
      throw new DOMException('This operation was aborted', 'AbortError');
    });
    try {
      const step = grafanaUpStep({ aws: {} as AwsClients, spec: makeSpec('shop', REGION), reporter, signal: stop.signal, stackUrl, workspace: { workspaceId: 'ws-1', prometheusEndpoint: 'https://aps-workspaces.invalid/workspaces/ws-1/' }, wait: true });
      await expect(step).rejects.toThrow('stopped at the first request');
    } finally {
      vi.unstubAllGlobals();
    }
    return events;
  }

  it('warns, before signing in, that the password crosses the network in clear over plain HTTP to a public ALB, pointing to --certificate-arn', async () => {
    const url = 'http://shop-alb-123.us-east-1.elb.amazonaws.com/dashboard/';
    expect(await stepEvents(url)).toEqual([
      `warn: Grafana at ${url} is plain HTTP: the admin password crosses the network in clear when the CLI signs in; pass --certificate-arn to serve HTTPS`,
      `phase: Waiting for Grafana at ${url}`,
      `fetch: http://shop-alb-123.us-east-1.elb.amazonaws.com/dashboard/api/health`,
    ]);
  });

  it('does not warn over HTTPS, nor over plain HTTP on loopback', async () => {
    for (const url of ['https://shop-alb-123.us-east-1.elb.amazonaws.com/dashboard/', 'http://127.0.0.1:3000/dashboard', 'http://localhost:3000/dashboard/']) {
      const events = await stepEvents(url);
      expect(events.filter((e) => e.startsWith('warn:')), url).toEqual([]);
      expect(events[0]).toBe(`phase: Waiting for Grafana at ${url}`);
    }
    expect(plainHttpWarning('http://10.0.0.5:3000/dashboard')).toMatch(/plain HTTP.*--certificate-arn/);
    expect(plainHttpWarning('https://10.0.0.5/dashboard')).toBeUndefined();
  });
});
