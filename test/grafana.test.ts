import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DeleteWorkspaceCommand, DescribeWorkspaceCommand, ListWorkspacesCommand } from '@aws-sdk/client-amp';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { startSimulation, type Simulation } from '@fargate-prom/aws-sim/testing';
import { AwsClients } from '../src/aws/clients.js';
import { GrafanaClient, isLoopback, networkReason } from '../src/grafana/api.js';
import { grafanaStatusSection } from '../src/grafana/status.js';
import { grafanaUpStep, plainHttpWarning } from '../src/grafana/up-step.js';
import { makeSpec } from '../src/stack/spec.js';
import type { Reporter } from '../src/ui/reporter.js';
import { silentReporter } from '../src/ui/reporter.js';
import { AMP_DATASOURCE_TYPE, GNET_TIMEOUT_MS, connectGrafana, prepareDashboard, shippedDashboard } from '../src/grafana/provision.js';
import { eventually, simClients, type SimClients } from './support/sim-fixtures.js';
import { freeClosedPort } from './support/ports.js';
import { runCli, simEnv, type CliRun } from './support/cli.js';
import { startGrafanaStandin, validateAgainstSpec, type GrafanaStandin, type StandinOptions } from './support/grafana-standin.js';
import { FIXTURES } from './support/environment.js';

const STACK = 'graf';
const REGION = 'us-east-1';
const IMAGE = 'public.ecr.aws/docker/library/node:20-alpine';
const DS_UID = `${STACK}-amp`;
const DS_NAME = `AMP (${STACK})`;
const DASH_UID = `${STACK}-nodejs`;
const FOLDER_UID = `${STACK}-folder`;

// The AWS side (simulation and stack) is shared: `up` is idempotent there and every test reads the state it
// needs (the workspace, the secret) when it runs. Grafana is not: every test starts its own stand-in with
// its own seeded state, so tests do not depend on each other's order and each one runs alone with -t.
let sim: Simulation;
let aws: SimClients;
let adminPassword: string;
const standins: GrafanaStandin[] = [];

async function secretPassword(): Promise<string> {
  return (await aws.secrets.send(new GetSecretValueCommand({ SecretId: `fargate-prom/${STACK}/grafana-admin` }))).SecretString!;
}

async function currentWorkspace(): Promise<string> {
  const list = await aws.amp.send(new ListWorkspacesCommand({ alias: STACK }));
  return list.workspaces!.find((w) => w.status?.statusCode === 'ACTIVE')!.workspaceId!;
}

/** The stack's workspace with the endpoint AMP (moto) gives it, as status passes it to Grafana's section. */
async function currentWorkspaceEndpoint(): Promise<{ workspaceId: string; prometheusEndpoint: string }> {
  const workspaceId = await currentWorkspace();
  const w = (await aws.amp.send(new DescribeWorkspaceCommand({ workspaceId }))).workspace!;
  return { workspaceId, prometheusEndpoint: w.prometheusEndpoint! };
}

/** Neither the admin password nor its basic-auth form appears in a run's output. */
function expectNoPassword(run: CliRun) {
  const basic = Buffer.from(`admin:${adminPassword}`).toString('base64');
  for (const out of [run.stdout, run.stderr]) {
    expect(out.includes(adminPassword), 'the admin password is in the output').toBe(false);
    expect(out.includes(basic), 'the basic-auth header is in the output').toBe(false);
  }
}

/** Runs the built CLI; every run of this file is checked for the admin password in its output. */
async function cli(args: string[]): Promise<CliRun> {
  const run = await runCli(args, simEnv());
  expectNoPassword(run);
  return run;
}

const upArgs = (...extra: string[]) => ['up', '--name', STACK, '--endpoint-url', sim.endpoint, '--app-image', IMAGE, '--desired-count', '1', '--yes', ...extra];
const up = (...extra: string[]) => cli(upArgs(...extra));
const upJson = (g: GrafanaStandin, ...extra: string[]) => up('--json', '--grafana-url', g.url, ...extra);
const status = (g: GrafanaStandin, ...extra: string[]) => cli(['status', '--name', STACK, '--endpoint-url', sim.endpoint, '--grafana-url', g.url, ...extra]);

/** A fresh, empty Grafana (like a new task): it learns its admin password from the stack's secret, as ECS injects it. */
async function standin(opts: Partial<StandinOptions> = {}): Promise<GrafanaStandin> {
  const g = await startGrafanaStandin({ password: secretPassword, ...opts });
  standins.push(g);
  return g;
}

/**
 * A Grafana as a completed `up` leaves it, made by the built CLI's own `up --grafana-url` (so a test of
 * "unchanged" or of drift compares a later run with what a real run left): the AMP datasource, the
 * folder and dashboard 11159; its log cleared.
 */
async function configured(opts: Partial<StandinOptions> = {}): Promise<GrafanaStandin> {
  const g = await standin(opts);
  const run = await upJson(g);
  expect(run.code, run.stderr).toBe(0);
  expect(g.datasources.has(DS_UID) && g.dashboards.has(DASH_UID)).toBe(true);
  expect(g.violations).toEqual([]);
  g.clearLog();
  return g;
}

/** Calls Grafana's API as a user would (basic auth as admin). */
function api(g: GrafanaStandin, method: string, route: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${g.url}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** Every string under any `datasource` key, and every datasource object, of a stored dashboard. */
function datasourceRefs(node: any, out: any[] = []): any[] {
  if (Array.isArray(node)) node.forEach((n) => datasourceRefs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'datasource') out.push(v);
      else datasourceRefs(v, out);
    }
  }
  return out;
}

/** The imported dashboard points every panel, every query and the template variable at the AMP datasource. */
function expectPointsAtAmp(dashboard: any, panelCount: number) {
  const ref = { type: AMP_DATASOURCE_TYPE, uid: DS_UID };
  expect(dashboard.panels).toHaveLength(panelCount);
  for (const p of dashboard.panels) {
    expect(p.datasource, p.title).toEqual(ref);
    expect(p.targets.length, p.title).toBeGreaterThan(0);
    for (const t of p.targets) expect(t.datasource, `${p.title} ${t.refId}`).toEqual(ref);
  }
  const vars = dashboard.templating.list.filter((v: any) => v.type === 'query');
  expect(vars.map((v: any) => v.name)).toEqual(['instance']);
  expect(vars[0].datasource).toEqual(ref);
  // Nothing still names another datasource: not "Prometheus", not ${DS_PROMETHEUS}, only Grafana's built-in annotations.
  const others = datasourceRefs(dashboard).filter((r) => !(r && r.uid === DS_UID && r.type === AMP_DATASOURCE_TYPE));
  for (const r of others) expect(JSON.stringify(r)).toMatch(/-- Grafana --/);
  expect(JSON.stringify(dashboard)).not.toContain('DS_PROMETHEUS');
  expect(dashboard.__inputs).toBeUndefined();
}

function errorLines(run: CliRun): string[] {
  return run.stderr.split('\n').filter((l) => l.startsWith('error:'));
}

beforeAll(async () => {
  sim = await startSimulation();
  aws = simClients(sim.endpoint);
  // The stack's AWS side, once: without --grafana-url against the emulator, up skips Grafana.
  const run = await runCli(upArgs('--json'), simEnv());
  expect(run.code, run.stderr).toBe(0);
  adminPassword = await secretPassword();
  expectNoPassword(run);
});
afterEach(async () => {
  await Promise.all(standins.splice(0).map((g) => g.stop()));
});
afterAll(async () => {
  await sim?.stop();
});

describe('up configures Grafana over its HTTP API', () => {
  it('--no-wait reports the Grafana steps as pending and does not call Grafana', async () => {
    const g = await standin();
    const run = await upJson(g, '--no-wait');
    expect(run.code, run.stderr).toBe(0);
    const r = run.json();
    expect(r.grafana).toMatchObject({ provisioning: 'pending', url: expect.stringMatching(/\/dashboard\/$/) });
    expect(g.requests).toEqual([]);
  });

  it('the first full up creates the AMP datasource, tests it, and imports dashboard 11159 from grafana.com', async () => {
    const g = await standin();
    const run = await upJson(g);
    expect(run.code, run.stderr).toBe(0);
    const r = run.json();
    const ws = r.amp.workspaceId as string;
    expect(r.grafana.url).toMatch(/^http:\/\/graf-alb-.*\/dashboard\/$/);
    expect(r.grafana).toMatchObject({
      provisioning: 'done',
      version: '12.4.5',
      datasource: { uid: DS_UID, action: 'create', healthy: true },
      dashboard: { uid: DASH_UID, source: 'grafana.com', action: 'import', panels: 9, folderUid: FOLDER_UID, url: `${g.origin}/dashboard/d/${DASH_UID}/nodejs-application-dashboard` },
    });
    // --grafana-url on loopback: the CLI's sign-in over plain HTTP never leaves the machine, so no warning about it.
    expect(run.stderr).not.toMatch(/Grafana at .* is plain HTTP/);

    const ds = g.datasources.get(DS_UID);
    expect(ds).toMatchObject({
      name: DS_NAME,
      type: 'grafana-amazonprometheus-datasource',
      access: 'proxy',
      url: `https://aps-workspaces.us-east-1.amazonaws.com/workspaces/${ws}`,
      isDefault: true,
      jsonData: { sigV4Auth: true, sigV4AuthType: 'default', sigV4Region: 'us-east-1', httpMethod: 'POST' },
    });
    expect(g.requests.some((q) => q.method === 'GET' && q.path === `/api/datasources/uid/${DS_UID}/health` && q.status === 200)).toBe(true);
    expect(g.folders.get(FOLDER_UID)?.title).toBe(STACK);
    const stored = g.dashboards.get(DASH_UID)!;
    expect(stored.folderUid).toBe(FOLDER_UID);
    expect(stored.dashboard.title).toBe('NodeJS Application Dashboard');
    expectPointsAtAmp(stored.dashboard, 9);
    // The import went through the `inputs` rule and `overwrite`.
    const imp = g.requests.find((q) => q.path === '/api/dashboards/import')!.body as any;
    expect(imp).toMatchObject({ overwrite: true, folderUid: FOLDER_UID, inputs: [{ name: 'DS_PROMETHEUS', type: 'datasource', value: DS_UID }] });
    expect(imp.dashboard.uid).toBe(DASH_UID);
    expect(g.violations).toEqual([]);
  });

  it('a second up changes nothing in Grafana (no datasource POST/PUT, no import) and nothing in AWS', async () => {
    const g = await standin();
    const first = await upJson(g);
    expect(first.code, first.stderr).toBe(0);
    g.clearLog();
    sim.clearCalls();
    const run = await upJson(g);
    expect(run.code, run.stderr).toBe(0);
    const r = run.json();
    expect(r.grafana.datasource.action).toBe('unchanged');
    expect(r.grafana.dashboard.action).toBe('unchanged');
    expect(r.grafana.dashboard.url).toBe(first.json().grafana.dashboard.url);
    expect(g.mutations()).toEqual([]);
    expect(g.requests.length).toBeGreaterThan(0);
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
    expect(g.violations).toEqual([]);
  });

  it('a datasource edited in Grafana (another region) is put back with one PUT of the whole object', async () => {
    const g = await configured();
    const ds = g.datasources.get(DS_UID);
    ds.jsonData = { ...ds.jsonData, sigV4Region: 'eu-west-1' };
    ds.url = ds.url.replace('us-east-1', 'eu-west-1');
    const run = await upJson(g);
    expect(run.code, run.stderr).toBe(0);
    const r = run.json();
    expect(r.grafana.datasource.action).toBe('update');
    expect(r.grafana.datasource.differences.join(' ')).toMatch(/url.*eu-west-1.*us-east-1/);
    expect(g.mutations()).toEqual([`PUT /api/datasources/uid/${DS_UID}`]);
    expect(g.datasources.get(DS_UID).jsonData.sigV4Region).toBe('us-east-1');
    expect(g.violations).toEqual([]);
  });

  it('a new workspace (the old one was deleted) updates the datasource to point at it', async () => {
    const g = await configured();
    const before = await currentWorkspace();
    await aws.amp.send(new DeleteWorkspaceCommand({ workspaceId: before }));
    await eventually(async () => !(await aws.amp.send(new ListWorkspacesCommand({ alias: STACK }))).workspaces?.some((w) => w.workspaceId === before && w.status?.statusCode !== 'DELETING'), 30_000, 'workspace deleted');
    const run = await upJson(g);
    expect(run.code, run.stderr).toBe(0);
    const r = run.json();
    expect(r.amp.workspaceId).not.toBe(before);
    expect(r.grafana.datasource.action).toBe('update');
    expect(g.datasources.get(DS_UID).url).toBe(`https://aps-workspaces.us-east-1.amazonaws.com/workspaces/${r.amp.workspaceId}`);
    expect(g.mutations()).toContain(`PUT /api/datasources/uid/${DS_UID}`);
    expect(g.violations).toEqual([]);
  });

  it('a datasource of the stack\'s name under another uid (409 on create) is replaced by ours: looked up by name, deleted, created with the stack\'s uid', async () => {
    const g = await standin();
    // Made by hand in Grafana's UI, under a generated uid.
    const handmade = await api(g, 'POST', '/api/datasources', { name: DS_NAME, uid: 'handmade', type: 'prometheus', access: 'proxy', url: 'http://example.com' });
    expect(handmade.status).toBe(200);
    g.clearLog();
    const run = await upJson(g);
    expect(run.code, run.stderr).toBe(0);
    const ds = run.json().grafana.datasource;
    expect(ds).toMatchObject({ uid: DS_UID, action: 'update', healthy: true });
    expect(ds.differences[0]).toBe(`uid: "handmade" → "${DS_UID}"`);
    expect(g.requests.filter((q) => q.path.startsWith('/api/datasources') && !q.path.endsWith('/health')).map((q) => `${q.method} ${q.path} ${q.status}`)).toEqual([
      `GET /api/datasources/uid/${DS_UID} 404`,
      'POST /api/datasources 409',
      `GET /api/datasources/name/${encodeURIComponent(DS_NAME)} 200`,
      'DELETE /api/datasources/uid/handmade 200',
      'POST /api/datasources 200',
    ]);
    expect([...g.datasources.keys()]).toEqual([DS_UID]);
    expect(g.datasources.get(DS_UID)).toMatchObject({ name: DS_NAME, type: AMP_DATASOURCE_TYPE });
    expectPointsAtAmp(g.dashboards.get(DASH_UID)!.dashboard, 9);
    expect(g.violations).toEqual([]);
  });

  it('when Grafana cannot reach grafana.com (502), the shipped dashboard is imported over 11159, pointing at the AMP datasource', async () => {
    const g = await configured();
    g.setGnet('offline');
    const run = await upJson(g);
    expect(run.code, run.stderr).toBe(0);
    const r = run.json();
    expect(r.grafana.dashboard).toMatchObject({ uid: DASH_UID, source: 'shipped', action: 'import', panels: 9 });
    expect(run.stderr).toMatch(/dashboard 11159 unavailable .*502.*shipped/);
    const stored = g.dashboards.get(DASH_UID)!;
    expect(stored.dashboard.title).toBe('Node.js on Fargate');
    expectPointsAtAmp(stored.dashboard, 9);
    // Overwritten in place, not duplicated.
    expect([...g.dashboards.keys()]).toEqual([DASH_UID]);
    expect(g.violations).toEqual([]);
  });

  it('when Grafana has no internet egress (its grafana.com proxy never answers), up gives up within its bound and imports the shipped dashboard', async () => {
    const g = await standin({ gnet: 'hang' });
    const run = await upJson(g);
    expect(run.code, run.stderr).toBe(0);
    const r = run.json();
    expect(r.grafana.dashboard).toMatchObject({ uid: DASH_UID, source: 'shipped', action: 'import', panels: 9 });
    // The bound is the gnet one (10 s in real time; the scaled runs of the tests floor it at 2 s), said in words.
    const reason = /^Grafana at http:\/\/127\.0\.0\.1:\d+\/dashboard did not answer GET \/api\/gnet\/dashboards\/11159 within 2s: a Grafana without internet egress cannot reach grafana\.com$/;
    expect(r.grafana.dashboard.fallbackReason).toMatch(reason);
    expect(run.stderr).toMatch(/dashboard 11159 unavailable \(Grafana at .* within 2s: a Grafana without internet egress cannot reach grafana\.com\); importing the equivalent dashboard shipped with fargate-prom/);
    // One attempt, left unanswered by Grafana; then straight on to the import.
    const gnet = g.requests.filter((q) => q.path === '/api/gnet/dashboards/11159');
    expect(gnet.map((q) => q.status)).toEqual([0]);
    expectPointsAtAmp(g.dashboards.get(DASH_UID)!.dashboard, 9);
    expect(g.violations).toEqual([]);
  });

  it('prints the dashboard URL and Grafana state in the human result', async () => {
    const g = await configured();
    const run = await up('--grafana-url', g.url);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Dashboard: ${g.origin}/dashboard/d/${DASH_UID}/`);
    expect(run.stdout).toMatch(/datasource graf-amp unchanged, healthy/);
  });

  it('a failing datasource test is reported, not fatal', async () => {
    const g = await standin({ datasourceHealth: 'error' });
    const run = await upJson(g);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().grafana.datasource).toMatchObject({ healthy: false, message: expect.stringMatching(/403/) });
    expect(run.stderr).toMatch(/warning: Grafana's test of datasource graf-amp failed/);
  });
});

describe('Grafana failures: one clear line, exit 1, no AWS change after it', () => {
  async function expectCleanFailure(run: CliRun, pattern: RegExp) {
    expect(run.code, run.stderr).toBe(1);
    const lines = errorLines(run);
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  }

  it('401: Grafana\'s admin password is not the secret\'s', async () => {
    const g = await standin({ password: 'not-the-secret' });
    sim.clearCalls();
    const run = await upJson(g);
    await expectCleanFailure(run, /^error: Grafana answered 401 .* to GET \/api\/datasources\/uid\/graf-amp.*password/);
    const failedAt = g.requests.find((q) => q.status === 401)!.at;
    expect(sim.calls().filter((c) => c.at > failedAt)).toEqual([]);
    expect(run.json().grafana).toMatchObject({ provisioning: 'failed', error: expect.stringContaining('401') });
  });

  it('500 from Grafana; once Grafana recovers, the next up completes', async () => {
    const g = await standin();
    g.setFailure({ kind: 'status', status: 500, message: 'database is locked' }, (m, p) => m === 'POST' && p === '/api/dashboards/import');
    sim.clearCalls();
    const run = await up('--grafana-url', g.url);
    await expectCleanFailure(run, /^error: Grafana answered 500 Internal Server Error to POST \/api\/dashboards\/import: database is locked$/);

    g.setFailure(undefined);
    const again = await upJson(g);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().grafana).toMatchObject({ provisioning: 'done', datasource: { action: 'unchanged' }, dashboard: { action: 'import' } });
    expect(g.violations).toEqual([]);
  });

  it('Grafana that never answers: a bounded timeout naming the route, one attempt', async () => {
    const g = await standin();
    g.setFailure({ kind: 'hang' }, (_m, p) => p.startsWith('/api/datasources'));
    sim.clearCalls();
    const run = await upJson(g);
    // The client's bound (15 s in real time; the scaled runs of the tests floor it at 2 s), in the message.
    await expectCleanFailure(run, /^error: Grafana at http:\/\/127\.0\.0\.1:\d+\/dashboard did not answer GET \/api\/datasources\/uid\/graf-amp within 2s$/);
    // Given up after the first unanswered request: no retry, nothing after it.
    expect(g.requests.filter((q) => q.path.startsWith('/api/datasources')).map((q) => `${q.method} ${q.path} ${q.status}`)).toEqual([`GET /api/datasources/uid/${DS_UID} 0`]);
    expect(g.requests.at(-1)!.path).toBe(`/api/datasources/uid/${DS_UID}`);
  });

  it('Grafana that closes connections', async () => {
    const g = await standin();
    g.setFailure({ kind: 'close' }, (_m, p) => p !== '/api/health');
    sim.clearCalls();
    const run = await upJson(g);
    await expectCleanFailure(run, /^error: cannot reach Grafana at .* \(GET \/api\/datasources\/uid\/graf-amp\): /);
  });

  it('unreachable Grafana (nothing listening): a bounded wait, then one line', async () => {
    const port = await freeClosedPort();
    sim.clearCalls();
    const run = await up('--json', '--grafana-url', `http://127.0.0.1:${port}/dashboard`);
    await expectCleanFailure(run, /^error: timed out after 5m00s waiting for Grafana at http:\/\/127\.0\.0\.1:\d+\/dashboard\/api\/health; last seen: .*connection refused; /);
    expect(run.stderr).toMatch(/waiting for Grafana at/);
  });
});

describe('status, and drift: a replaced Grafana task loses its datasource and dashboard', () => {
  let clients: AwsClients;
  const section = async (g: GrafanaStandin | string) =>
    grafanaStatusSection({ aws: clients, spec: makeSpec(STACK, REGION), grafanaUrl: typeof g === 'string' ? g : g.url, workspace: await currentWorkspaceEndpoint(), endpointUrl: sim.endpoint });
  beforeAll(() => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    clients = new AwsClients({ region: REGION, endpointUrl: sim.endpoint });
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
    const skipped = await grafanaStatusSection({ aws: clients, spec: makeSpec(STACK, REGION), stackUrl: 'http://graf-alb.invalid/dashboard/', endpointUrl: sim.endpoint });
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
    sim.clearCalls();
    const run = await upJson(g);
    expect(run.code, run.stderr).toBe(0);
    const r = run.json();
    expect(r.grafana.datasource.action).toBe('create');
    expect(r.grafana.dashboard.action).toBe('import');
    expect(g.datasources.has(DS_UID)).toBe(true);
    expectPointsAtAmp(g.dashboards.get(DASH_UID)!.dashboard, 9);
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
    expect(r.aws.mutatingCalls).toBe(0);
    expect(g.violations).toEqual([]);
    expect((await section(g)).healthy).toBe(true);
  });
});

describe('without --grafana-url against a local AWS emulator', () => {
  it('up skips Grafana with the reason (the ALB name resolves nowhere)', async () => {
    const run = await up('--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().grafana).toMatchObject({ provisioning: 'skipped', reason: expect.stringContaining('--grafana-url') });
  });
});

describe('the admin password', () => {
  // cli() checks every run of this file; this test makes the runs most likely to leak it: a success, a 401
  // (the password sent and refused) in both output forms, and status.
  it('never appears in the output of up or status, succeeding or refused', async () => {
    const g = await standin();
    const runs = [await upJson(g), await up('--grafana-url', g.url), await status(g, '--json')];
    g.setPassword('not-the-secret');
    runs.push(await upJson(g), await up('--grafana-url', g.url), await status(g));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 1, 1, 3]);
    for (const run of runs) expectNoPassword(run);
    expect(g.requests.filter((q) => q.authorized).length).toBeGreaterThan(0);
  });
});

describe('the stand-in itself', () => {
  it('rejects what Grafana would: no auth, wrong password, bodies that do not fit the spec', async () => {
    const g = await configured();
    const route = `${g.url}/api/datasources/uid/${DS_UID}`;
    expect((await fetch(route)).status).toBe(401);
    expect((await fetch(route, { headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` } })).status).toBe(401);
    expect((await fetch(`${g.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${g.origin}/login`, { redirect: 'manual' })).status).toBe(301);
    expect(validateAgainstSpec('POST', '/api/dashboards/import', { dashboard: {}, folderUID: 'x', overwrite: 'yes' }, true)).toEqual([
      'POST /api/dashboards/import (importDashboard): / must NOT have additional properties (folderUID)',
      'POST /api/dashboards/import (importDashboard): /overwrite must be boolean',
    ]);
    expect(validateAgainstSpec('POST', '/api/datasources', { name: 'a', type: 'b', access: 'proxy', bogus: 1 }, true)).toHaveLength(1);
    expect(validateAgainstSpec('PUT', '/api/datasources/uid/x', { name: 'a', version: 'x' }, true)).toHaveLength(1);
    expect(validateAgainstSpec('POST', '/api/nope', {}, true)).toEqual(['POST /api/nope: no such route in the Grafana API spec']);
    expect(validateAgainstSpec('POST', '/api/folders', { uid: 'a', title: 'b' }, true)).toEqual([]);
    expect(validateAgainstSpec('DELETE', '/api/datasources/uid/x', undefined, false)).toEqual([]);
  });

  it('enforces the import `inputs` rule', async () => {
    const g = await standin();
    const dashboard = { title: 't', uid: 'standin-t', __inputs: [{ name: 'DS_X', type: 'datasource', pluginId: 'prometheus' }], panels: [] };
    const noInput = await api(g, 'POST', '/api/dashboards/import', { dashboard, overwrite: true });
    expect(noInput.status).toBe(400);
    expect((await noInput.json()).message).toBe('Dashboard input variable: DS_X missing from import command');
  });

  it('409 on a duplicate datasource name, and on a duplicate uid', async () => {
    const g = await standin();
    const body = { name: 'one', uid: 'one', type: 'prometheus', access: 'proxy', url: 'http://example.com' };
    expect((await api(g, 'POST', '/api/datasources', body)).status).toBe(200);
    const sameName = await api(g, 'POST', '/api/datasources', { ...body, uid: 'two' });
    expect(sameName.status).toBe(409);
    expect((await sameName.json()).message).toBe('data source with the same name already exists');
    const sameUid = await api(g, 'POST', '/api/datasources', { ...body, name: 'two' });
    expect(sameUid.status).toBe(409);
    expect((await sameUid.json()).message).toBe('data source with the same uid already exists');
    expect([...g.datasources.keys()]).toEqual(['one']);
    expect(g.datasources.get('one').name).toBe('one');
  });

  it('PUT replaces the whole datasource (what it leaves out is gone), refuses a stale version and a uid change', async () => {
    const g = await standin();
    const created = await api(g, 'POST', '/api/datasources', {
      name: 'full', uid: 'full', type: 'prometheus', access: 'proxy', url: 'http://a.example', user: 'u', database: 'db',
      basicAuth: true, basicAuthUser: 'b', isDefault: true, jsonData: { httpMethod: 'POST', timeInterval: '30s' },
    });
    expect(created.status).toBe(200);
    const v1 = (await created.json()).datasource.version;
    const put = await api(g, 'PUT', '/api/datasources/uid/full', { name: 'full', type: 'prometheus', access: 'proxy', url: 'http://b.example', jsonData: { httpMethod: 'GET' }, version: v1 });
    expect(put.status).toBe(200);
    expect((await put.json()).message).toBe('Datasource updated');
    const after = await (await api(g, 'GET', '/api/datasources/uid/full')).json();
    expect(after).toMatchObject({ uid: 'full', url: 'http://b.example', user: '', database: '', basicAuth: false, basicAuthUser: '', isDefault: false, jsonData: { httpMethod: 'GET' }, version: v1 + 1 });
    expect(after.jsonData.timeInterval).toBeUndefined();

    const stale = await api(g, 'PUT', '/api/datasources/uid/full', { name: 'full', type: 'prometheus', access: 'proxy', version: v1 });
    expect(stale.status).toBe(409);
    expect((await stale.json()).message).toMatch(/already been updated by someone else/);

    const renamed = await api(g, 'PUT', '/api/datasources/uid/full', { name: 'full', uid: 'other', type: 'prometheus', access: 'proxy', version: v1 + 1 });
    expect(renamed.status).toBe(400);
    expect([...g.datasources.keys()]).toEqual(['full']);
    expect((await api(g, 'GET', '/api/datasources/uid/other')).status).toBe(404);
    expect((await api(g, 'DELETE', '/api/datasources/uid/full')).status).toBe(200);
    expect((await api(g, 'GET', '/api/datasources/uid/full')).status).toBe(404);
    expect(g.violations).toEqual([]);
  });

  it('import without overwrite of an existing uid is 412, and leaves the stored dashboard as it was', async () => {
    const g = await standin();
    const dashboard = { title: 'kept', uid: 'standin-d', panels: [] };
    expect((await api(g, 'POST', '/api/dashboards/import', { dashboard, overwrite: false })).status).toBe(200);
    const again = await api(g, 'POST', '/api/dashboards/import', { dashboard: { ...dashboard, title: 'changed' }, overwrite: false });
    expect(again.status).toBe(412);
    expect(await again.json()).toMatchObject({ status: 'version-mismatch' });
    expect(g.dashboards.get('standin-d')!.dashboard.title).toBe('kept');
    const sameTitle = await api(g, 'POST', '/api/dashboards/import', { dashboard: { ...dashboard, uid: 'standin-e' }, overwrite: false });
    expect(sameTitle.status).toBe(412);
    expect(await sameTitle.json()).toMatchObject({ status: 'name-exists' });
    const overwritten = await api(g, 'POST', '/api/dashboards/import', { dashboard: { ...dashboard, title: 'changed' }, overwrite: true });
    expect(overwritten.status).toBe(200);
    expect(g.dashboards.get('standin-d')!.dashboard).toMatchObject({ title: 'changed', version: 2 });
    expect(g.violations).toEqual([]);
  });

  it('the grafana.com proxy serves 11159 under `.json`, answers 502 offline, or never answers without egress', async () => {
    const g = await standin();
    const served = await api(g, 'GET', '/api/gnet/dashboards/11159');
    expect(served.status).toBe(200);
    expect((await served.json()).json.title).toBe('NodeJS Application Dashboard');
    g.setGnet('offline');
    expect((await api(g, 'GET', '/api/gnet/dashboards/11159')).status).toBe(502);
    g.setGnet('hang');
    const headers = { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` };
    const hung = await fetch(`${g.url}/api/gnet/dashboards/11159`, { headers, signal: AbortSignal.timeout(300) }).then(() => 'answered', (e: Error) => e.name);
    expect(hung).toBe('TimeoutError');
    expect(g.requests.at(-1)).toMatchObject({ path: '/api/gnet/dashboards/11159', status: 0 });
  });
});

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
