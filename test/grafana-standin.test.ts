import { describe, expect, it } from 'vitest';
import { validateAgainstSpec } from './support/grafana-standin.js';
import { grafanaStack, adminPassword, standin, configured, api, DS_UID } from './support/grafana-stack.js';

// The Grafana stand-in (test/support/grafana-standin.ts) refuses what the real Grafana refuses.
grafanaStack();

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
