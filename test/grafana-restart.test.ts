import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GrafanaStandin } from './support/grafana-standin.js';
import { grafanaStack, upJson, status, standin, DS_UID, DASH_UID, FOLDER_UID } from './support/grafana-stack.js';

// A replaced Grafana task: on a data directory that survives it (EFS at /var/lib/grafana) it comes back
// with its datasource and dashboard, and `status` stays healthy with no `up`; on an empty one (the task's
// own writable layer) it comes back empty, `status` reports the drift and `up` restores it. Grafana is the
// stand-in with a data directory; the stack, `up` and `status` are the built CLI against the simulation.
const stack = grafanaStack();

const dirs: string[] = [];
const dataDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'grafana-data-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Stops a Grafana and starts a new one on `dir`, listening where the old one did (the ALB's target). */
async function replaced(old: GrafanaStandin, dir: string): Promise<GrafanaStandin> {
  await old.stop();
  const g = await standin({ dataDir: dir, port: Number(new URL(old.origin).port) });
  expect(g.url).toBe(old.url);
  return g;
}

/** The first full `up` against a new Grafana on `dir`. */
async function upOn(dir: string): Promise<GrafanaStandin> {
  const g = await standin({ dataDir: dir });
  const run = await upJson(g);
  expect(run.code, run.stderr).toBe(0);
  expect(run.json().grafana).toMatchObject({ datasource: { uid: DS_UID, action: 'create' }, dashboard: { uid: DASH_UID, action: 'import' } });
  expect(g.violations).toEqual([]);
  return g;
}

const healthyLines = (g: GrafanaStandin) =>
  new RegExp(
    `Grafana 12\\.4\\.5 reachable at ${g.url}/\\n\\s+datasource ${DS_UID}: points at this workspace, healthy\\n\\s+dashboard ${DASH_UID}: ${g.origin}/dashboard/d/${DASH_UID}/nodejs-application-dashboard\\n`,
  );

/** `status` (JSON, then text) finds Grafana complete and healthy, exits 0, and changes nothing anywhere. */
async function expectHealthy(g: GrafanaStandin) {
  g.clearLog();
  stack.sim.clearCalls();
  const run = await status(g, '--json');
  expect(run.code, run.stderr).toBe(0);
  const s = run.json().grafana;
  expect(s).toMatchObject({
    checked: true, reachable: true, healthy: true,
    datasource: { uid: DS_UID, present: true, matches: true, healthy: true },
    dashboard: { uid: DASH_UID, present: true, url: `${g.origin}/dashboard/d/${DASH_UID}/nodejs-application-dashboard` },
  });
  expect(s.problems).toEqual([]);
  const text = await status(g);
  expect(text.code, text.stderr).toBe(0);
  expect(text.stdout).toMatch(healthyLines(g));
  expect(text.stdout).not.toMatch(/MISSING|to restore/);
  // The datasource's own test ran, against Grafana's stored datasource; status wrote nothing.
  expect(g.requests.some((q) => q.path === `/api/datasources/uid/${DS_UID}/health` && q.status === 200)).toBe(true);
  expect(g.mutations()).toEqual([]);
  expect(stack.sim.calls().filter((c) => c.mutating)).toEqual([]);
}

describe('a replaced Grafana task', () => {
  it('on the same data directory keeps its datasource and dashboard: status is healthy with no up in between', async () => {
    const dir = dataDir();
    const first = await upOn(dir);
    const ds = first.datasources.get(DS_UID);
    const dash = first.dashboards.get(DASH_UID)!;

    const g = await replaced(first, dir);
    // The new Grafana loaded what the old one stored: the same objects, ids and versions.
    expect(g.datasources.get(DS_UID)).toEqual(ds);
    expect(g.dashboards.get(DASH_UID)).toEqual(dash);
    expect(g.folders.has(FOLDER_UID)).toBe(true);
    await expectHealthy(g);

    // And again: a second replacement of a Grafana that was never configured by up since.
    await expectHealthy(await replaced(g, dir));
  });

  it('on an empty data directory comes back empty: status reports the drift and exits 3, up restores it', async () => {
    const first = await upOn(dataDir());
    const empty = dataDir();
    const g = await replaced(first, empty);
    expect(g.datasources.size + g.dashboards.size + g.folders.size).toBe(0);

    stack.sim.clearCalls();
    const run = await status(g, '--json');
    expect(run.code, run.stderr).toBe(3);
    const s = run.json().grafana;
    // Reachable and signed in (a new Grafana takes its admin password from the secret at first start), but empty.
    expect(s).toMatchObject({ checked: true, reachable: true, healthy: false, datasource: { uid: DS_UID, present: false, healthy: false }, dashboard: { uid: DASH_UID, present: false } });
    expect(s.error).toBeUndefined();
    expect(s.problems).toEqual([
      `Grafana datasource ${DS_UID} missing (a Grafana task replaced without its EFS data, as with --grafana-storage ephemeral, loses it); run \`fargate-prom up\` to restore it`,
      `Grafana dashboard ${DASH_UID} missing; run \`fargate-prom up\` to restore it`,
    ]);
    const text = await status(g);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(new RegExp(`datasource ${DS_UID}: MISSING\\n\\s+dashboard ${DASH_UID}: MISSING\\n\\s+run \`fargate-prom up\` to restore what is missing`));
    expect(g.mutations()).toEqual([]);
    expect(stack.sim.calls().filter((c) => c.mutating)).toEqual([]);

    // up puts them back, through Grafana's API only (nothing changes in AWS).
    const repair = await upJson(g);
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.json().grafana).toMatchObject({ datasource: { uid: DS_UID, action: 'create', healthy: true }, dashboard: { uid: DASH_UID, action: 'import', folderUid: FOLDER_UID } });
    expect(repair.json().aws.mutatingCalls).toBe(0);
    expect(stack.sim.calls().filter((c) => c.mutating)).toEqual([]);
    expect(g.violations).toEqual([]);
    await expectHealthy(g);

    // What up restored is in that directory now: the next replacement keeps it.
    await expectHealthy(await replaced(g, empty));
  });
});
