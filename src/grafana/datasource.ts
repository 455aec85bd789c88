// The stack's AMP datasource in Grafana: what it should be, how Grafana's copy differs, and its health.
import { ampQueryBase, type WorkspaceEndpoint } from '../stack/endpoints.js';
import { canonicalJson } from '../util/json.js';
import { GrafanaClient, GrafanaError, grafanaMessage } from './api.js';
import { grafanaNames } from './names.js';

export const AMP_DATASOURCE_TYPE = 'grafana-amazonprometheus-datasource';

export interface DatasourceBody {
  name: string;
  uid: string;
  type: string;
  access: 'proxy';
  url: string;
  isDefault: boolean;
  jsonData: Record<string, unknown>;
}

/**
 * The AMP datasource: SigV4 with the default credential chain (the Grafana task role), POST queries.
 * `ampEndpointUrl`: a server standing in for AMP's query API (the sandbox's local data plane).
 */
export function desiredDatasource(stack: string, region: string, workspace: WorkspaceEndpoint, ampEndpointUrl?: string): DatasourceBody {
  const n = grafanaNames(stack);
  return {
    name: n.datasourceName,
    uid: n.datasourceUid,
    type: AMP_DATASOURCE_TYPE,
    access: 'proxy',
    url: ampQueryBase(workspace, ampEndpointUrl),
    isDefault: true,
    jsonData: { httpMethod: 'POST', sigV4Auth: true, sigV4AuthType: 'default', sigV4Region: region },
  };
}

/** What differs between Grafana's datasource and the desired one (empty: leave it alone). */
export function datasourceDifferences(existing: Record<string, any>, desired: DatasourceBody): string[] {
  const out: string[] = [];
  for (const key of ['name', 'type', 'access', 'url', 'isDefault'] as const) {
    if (existing[key] !== desired[key]) out.push(`${key}: ${JSON.stringify(existing[key])} → ${JSON.stringify(desired[key])}`);
  }
  const have = existing.jsonData ?? {};
  for (const key of new Set([...Object.keys(have), ...Object.keys(desired.jsonData)])) {
    if (canonicalJson(have[key]) !== canonicalJson(desired.jsonData[key])) out.push(`jsonData.${key}: ${JSON.stringify(have[key])} → ${JSON.stringify(desired.jsonData[key])}`);
  }
  return out;
}


export interface DatasourceResult {
  uid: string;
  name: string;
  url: string;
  action: 'create' | 'update' | 'unchanged';
  differences?: string[];
}

/** Creates the AMP datasource when absent, replaces it when different, leaves it when equal. */
export async function ensureDatasource(client: GrafanaClient, desired: DatasourceBody): Promise<DatasourceResult> {
  const route = `/api/datasources/uid/${encodeURIComponent(desired.uid)}`;
  const found = await client.get(route, [404]);
  if (found.status === 200) {
    const differences = datasourceDifferences(found.body, desired);
    if (!differences.length) return { uid: desired.uid, name: desired.name, url: desired.url, action: 'unchanged' };
    await client.put(route, { ...desired, version: found.body.version });
    return { uid: desired.uid, name: desired.name, url: desired.url, action: 'update', differences };
  }
  const created = await client.post('/api/datasources', desired, [409]);
  if (created.status !== 409) return { uid: desired.uid, name: desired.name, url: desired.url, action: 'create' };

  // 409: a datasource already has this name (made by hand, or by an older version under another uid).
  // The name is the stack's own, so adopt it. Whether PUT /api/datasources/uid/<old> may change a uid is
  // not documented, so a datasource under another uid is deleted and ours created with the stack's uid.
  const byName = await client.get(`/api/datasources/name/${encodeURIComponent(desired.name)}`, [404]);
  if (byName.status !== 200) {
    throw new GrafanaError(`Grafana refused to create datasource ${desired.uid} (409 ${grafanaMessage(created.body)}) but has none named "${desired.name}"`, 409);
  }
  const existing = byName.body;
  const differences = datasourceDifferences(existing, desired);
  if (existing.uid === desired.uid) {
    // Created under our uid since we looked: replace it as above.
    await client.put(route, { ...desired, version: existing.version });
  } else {
    differences.unshift(`uid: ${JSON.stringify(existing.uid)} → ${JSON.stringify(desired.uid)}`);
    await client.delete(`/api/datasources/uid/${encodeURIComponent(existing.uid)}`, [404]);
    await client.post('/api/datasources', desired);
  }
  return { uid: desired.uid, name: desired.name, url: desired.url, action: 'update', differences };
}

export interface DatasourceHealth {
  healthy: boolean;
  message: string;
}

/** Asks Grafana to test the datasource (the plugin queries AMP with SigV4 from the Grafana task). */
export async function datasourceHealth(client: GrafanaClient, uid: string): Promise<DatasourceHealth> {
  const res = await client.get(`/api/datasources/uid/${encodeURIComponent(uid)}/health`, [400, 404, 500, 502, 503]);
  const status = String(res.body?.status ?? '').toUpperCase();
  const healthy = res.status === 200 && (status === 'OK' || status === '');
  return { healthy, message: grafanaMessage(res.body) || (healthy ? 'OK' : `answered ${res.status}`) };
}

