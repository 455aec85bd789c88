import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../src/aws/clients.js';
import { grafanaStatusSection } from '../src/grafana/status.js';
import { makeSpec } from '../src/stack/spec.js';
import { freeClosedPort } from './support/ports.js';
import type { GrafanaStandin } from './support/grafana-standin.js';
import { grafanaStack, currentWorkspaceEndpoint, upJson, status, configured, expectPointsAtAmp, STACK, REGION, DS_UID, DASH_UID } from './support/grafana-stack.js';

// Grafana as status sees it, and drift: a replaced Grafana task loses its datasource and dashboard.
const stack = grafanaStack();

describe('status, and drift: a replaced Grafana task loses its datasource and dashboard', () => {
  let clients: AwsClients;
  const section = async (g: GrafanaStandin | string) =>
    grafanaStatusSection({ aws: clients, spec: makeSpec(STACK, REGION), grafanaUrl: typeof g === 'string' ? g : g.url, workspace: await currentWorkspaceEndpoint(), endpointUrl: stack.sim.endpoint });
  beforeAll(() => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    clients = new AwsClients({ region: REGION, endpointUrl: stack.sim.endpoint });
  });
  afterAll(() => clients?.destroy());

  it('the status section sees a complete Grafana as healthy', async () => {
    const g = await configured();
    const s = await section(g);
    expect(s).toMatchObject({ checked: true, reachable: true, version: '12.4.5', healthy: true, problems: [] });
    expect(s.datasource).toMatchObject({ uid: DS_UID, present: true, matches: true, healthy: true });
    expect(s.dashboard).toMatchObject({ uid: DASH_UID, present: true, url: `${g.origin}/dashboard/d/${DASH_UID}/nodejs-application-dashboard` });
  });

  it('the status section reports a datasource pointing at another workspace', async () => {
    const g = await configured();
    const ds = g.datasources.get(DS_UID);
    ds.url = ds.url.replace(/ws-[^/]+$/, 'ws-00000000-0000-0000-0000-000000000000');
    const s = await section(g);
    expect(s.healthy).toBe(false);
    expect(s.datasource).toMatchObject({ present: true, matches: false });
    expect(s.problems.join('\n')).toMatch(/does not point at this workspace/);
  });

  it('the status section reports the wiped datasource and dashboard as missing, and an unreachable Grafana', async () => {
    const g = await configured();
    g.wipe();
    const s = await section(g);
    expect(s.healthy).toBe(false);
    expect(s.datasource).toMatchObject({ present: false, healthy: false });
    expect(s.dashboard).toMatchObject({ present: false });
    expect(s.problems.join('\n')).toMatch(/datasource graf-amp missing.*\n.*dashboard graf-nodejs missing/);
    const down = await section(`http://127.0.0.1:${await freeClosedPort()}/dashboard`);
    expect(down).toMatchObject({ checked: true, reachable: false, healthy: false });
    expect(down.problems[0]).toMatch(/not reachable .*connection refused/);
    // Without --grafana-url against a local emulator it is not checked (and does not count).
    const skipped = await grafanaStatusSection({ aws: clients, spec: makeSpec(STACK, REGION), stackUrl: 'http://graf-alb.invalid/dashboard/', endpointUrl: stack.sim.endpoint });
    expect(skipped).toMatchObject({ checked: false, healthy: true });
  });

  it('status --grafana-url reports a complete Grafana healthy and exits 0', async () => {
    const g = await configured();
    const run = await status(g, '--json');
    expect(run.code, run.stderr).toBe(0);
    const s = run.json().grafana;
    expect(s).toMatchObject({ checked: true, healthy: true, reachable: true, datasource: { present: true, matches: true, healthy: true }, dashboard: { present: true } });
    expect(s.problems).toEqual([]);
    expect(g.mutations()).toEqual([]);
  });

  it('status --grafana-url exits 3 and reports what is missing', async () => {
    const g = await configured();
    g.wipe();
    const run = await status(g, '--json');
    expect(run.code, run.stderr).toBe(3);
    const s = run.json().grafana;
    expect(s).toMatchObject({ reachable: true, version: '12.4.5', datasource: { present: false, healthy: false }, dashboard: { present: false } });
    expect(s.url).toMatch(/\/dashboard\/$/);
    const text = await status(g);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/datasource graf-amp: MISSING\n\s+dashboard graf-nodejs: MISSING\n\s+run `fargate-prom up` to restore/);
    expect(g.mutations()).toEqual([]);
  });

  it('status exits 3 when Grafana\'s admin password is not the secret\'s (401), saying so', async () => {
    const g = await configured();
    g.setPassword('changed-in-grafana');
    const run = await status(g, '--json');
    expect(run.code, run.stderr).toBe(3);
    const s = run.json().grafana;
    expect(s).toMatchObject({ checked: true, reachable: true, healthy: false, error: expect.stringMatching(/^Grafana answered 401 .* to GET \/api\/datasources\/uid\/graf-amp.*password/) });
    expect(s.problems).toEqual([`Grafana: ${s.error}`]);
    expect(g.requests.some((q) => q.status === 401)).toBe(true);
    const text = await status(g);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/Grafana 12\.4\.5 reachable at .* — PROBLEM: Grafana answered 401/);
  });

  it('status exits 3 when Grafana\'s test of the datasource fails', async () => {
    const g = await configured();
    g.setDatasourceHealth('error');
    const run = await status(g, '--json');
    expect(run.code, run.stderr).toBe(3);
    const s = run.json().grafana;
    expect(s).toMatchObject({ healthy: false, datasource: { present: true, matches: true, healthy: false, message: expect.stringMatching(/403 Forbidden/) }, dashboard: { present: true } });
    expect(s.problems).toEqual([expect.stringMatching(/^Grafana datasource graf-amp failing: .*403 Forbidden/)]);
    expect(g.requests.some((q) => q.path === `/api/datasources/uid/${DS_UID}/health` && q.status === 400)).toBe(true);
    const text = await status(g);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/datasource graf-amp: points at this workspace, FAILING \(.*403 Forbidden\)/);
  });

  it('up restores them without any AWS mutating call', async () => {
    const g = await configured();
    g.wipe();
    stack.sim.clearCalls();
    const run = await upJson(g);
    expect(run.code, run.stderr).toBe(0);
    const r = run.json();
    expect(r.grafana.datasource.action).toBe('create');
    expect(r.grafana.dashboard.action).toBe('import');
    expect(g.datasources.has(DS_UID)).toBe(true);
    expectPointsAtAmp(g.dashboards.get(DASH_UID)!.dashboard, 9);
    expect(stack.sim.calls().filter((c) => c.mutating)).toEqual([]);
    expect(r.aws.mutatingCalls).toBe(0);
    expect(g.violations).toEqual([]);
    expect((await section(g)).healthy).toBe(true);
  });
});
