import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DB_FILE, validateAgainstSpec } from './support/grafana-standin.js';
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

  it('with a data directory: first start creates the admin from the env password; later starts keep the stored one and the data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grafana-data-'));
    try {
      const basic = (p: string) => ({ authorization: `Basic ${Buffer.from(`admin:${p}`).toString('base64')}` });
      const first = await standin({ dataDir: dir, password: 'first-env' });
      const body = { name: 'kept', uid: 'kept', type: 'prometheus', access: 'proxy', url: 'http://a.example' };
      const created = await fetch(`${first.url}/api/datasources`, { method: 'POST', headers: { ...basic('first-env'), 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(created.status).toBe(200);
      // The database holds a salted hash, never the password itself.
      const db = readFileSync(join(dir, DB_FILE), 'utf8');
      expect(db).not.toContain('first-env');
      expect(JSON.parse(db).datasources.map((d: any) => d.uid)).toEqual(['kept']);
      await first.stop();

      // A new Grafana on that database with another GF_SECURITY_ADMIN_PASSWORD: the stored password wins.
      const second = await standin({ dataDir: dir, password: 'second-env' });
      expect((await fetch(`${second.url}/api/datasources/uid/kept`, { headers: basic('second-env') })).status).toBe(401);
      const got = await fetch(`${second.url}/api/datasources/uid/kept`, { headers: basic('first-env') });
      expect(got.status).toBe(200);
      expect(await got.json()).toMatchObject({ ...body, id: 1, version: 1 });
      // A password changed in Grafana is stored too; a later id continues the sequence.
      second.setPassword('changed');
      await second.stop();
      const third = await standin({ dataDir: dir, password: 'first-env' });
      expect((await fetch(`${third.url}/api/datasources/uid/kept`, { headers: basic('first-env') })).status).toBe(401);
      const next = await fetch(`${third.url}/api/datasources`, { method: 'POST', headers: { ...basic('changed'), 'content-type': 'application/json' }, body: JSON.stringify({ ...body, name: 'next', uid: 'next' }) });
      expect((await next.json()).id).toBe(2);

      // Without a data directory (ephemeral), nothing carries over: a new Grafana is empty, with the env password.
      const ephemeral = await standin({ password: 'second-env' });
      expect((await fetch(`${ephemeral.url}/api/datasources/uid/kept`, { headers: basic('second-env') })).status).toBe(404);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
