import { describe, expect, it } from 'vitest';
import { DeleteWorkspaceCommand, ListWorkspacesCommand } from '@aws-sdk/client-amp';
import { AMP_DATASOURCE_TYPE } from '../src/grafana/datasource.js';
import { eventually } from './support/sim-fixtures.js';
import { grafanaStack, currentWorkspace, expectNoPassword, up, upJson, status, standin, configured, api, expectPointsAtAmp, STACK, DS_UID, DS_NAME, DASH_UID, FOLDER_UID } from './support/grafana-stack.js';

// up configures Grafana over its HTTP API: the AMP datasource, the folder and dashboard 11159, and what it
// says; against a Grafana stand-in (test/support/grafana-standin.ts) and the simulation.
const stack = grafanaStack();

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
    stack.sim.clearCalls();
    const run = await upJson(g);
    expect(run.code, run.stderr).toBe(0);
    const r = run.json();
    expect(r.grafana.datasource.action).toBe('unchanged');
    expect(r.grafana.dashboard.action).toBe('unchanged');
    expect(r.grafana.dashboard.url).toBe(first.json().grafana.dashboard.url);
    expect(g.mutations()).toEqual([]);
    expect(g.requests.length).toBeGreaterThan(0);
    expect(stack.sim.calls().filter((c) => c.mutating)).toEqual([]);
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
    await stack.aws.amp.send(new DeleteWorkspaceCommand({ workspaceId: before }));
    await eventually(async () => !(await stack.aws.amp.send(new ListWorkspacesCommand({ alias: STACK }))).workspaces?.some((w) => w.workspaceId === before && w.status?.statusCode !== 'DELETING'), 30_000, 'workspace deleted');
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
