// Dashboard 11159: fetched through Grafana (or the shipped copy), pointed at the AMP datasource, imported once.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '../util/json.js';
import { GrafanaClient, GrafanaError, grafanaMessage } from './api.js';
import { AMP_DATASOURCE_TYPE } from './datasource.js';

export const GNET_DASHBOARD_ID = 11159;

export interface DashboardSource {
  source: 'grafana.com' | 'shipped';
  dashboard: Record<string, any>;
  /** Why the shipped dashboard was used. */
  fallbackReason?: string;
}

const SHIPPED_DASHBOARD = new URL('../../src/templates/nodejs-dashboard.json', import.meta.url);

export function shippedDashboard(): Record<string, any> {
  return JSON.parse(readFileSync(fileURLToPath(SHIPPED_DASHBOARD), 'utf8'));
}

/**
 * How long `up` waits for Grafana's grafana.com proxy (real-world ms). A Grafana without internet egress
 * can hang on it until its own dial to grafana.com gives up; `up` falls back to the shipped dashboard
 * after this bound instead of stalling.
 */
export const GNET_TIMEOUT_MS = 10_000;

/** Dashboard 11159 through Grafana's grafana.com proxy; the shipped equivalent when Grafana is offline. */
export async function fetchDashboard(client: GrafanaClient): Promise<DashboardSource> {
  let reason: string;
  try {
    const res = await client.get(`/api/gnet/dashboards/${GNET_DASHBOARD_ID}`, [400, 404, 500, 502, 503, 504], { timeoutMs: GNET_TIMEOUT_MS });
    const model = res.body?.json;
    if (res.status === 200 && model && typeof model === 'object' && Array.isArray(model.panels)) {
      return { source: 'grafana.com', dashboard: model };
    }
    reason = res.status === 200 ? 'grafana.com answered without a dashboard model' : `Grafana could not fetch it from grafana.com (${res.status}${grafanaMessage(res.body) ? ` ${grafanaMessage(res.body)}` : ''})`;
  } catch (err) {
    // Bad credentials are not "offline": stop there.
    if (!(err instanceof GrafanaError) || err.status === 401 || err.status === 403) throw err;
    reason = err.timedOut ? `${err.message}: a Grafana without internet egress cannot reach grafana.com` : err.message;
  }
  return { source: 'shipped', dashboard: shippedDashboard(), fallbackReason: reason };
}

const SPECIAL_DATASOURCES = new Set(['-- Grafana --', '-- Mixed --', '-- Dashboard --', 'grafana', 'datasource']);

/** Whether a `datasource` value refers to a Prometheus datasource (rather than Grafana's built-ins). */
function isPrometheusRef(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'string') return !SPECIAL_DATASOURCES.has(v);
  if (typeof v === 'object') {
    const ref = v as { type?: string; uid?: string };
    if (ref.type && SPECIAL_DATASOURCES.has(ref.type)) return false;
    if (ref.uid && SPECIAL_DATASOURCES.has(ref.uid)) return false;
    return true;
  }
  return false;
}

/**
 * The dashboard as the stack imports it: every datasource reference — `${DS_PROMETHEUS}`, 11159's literal
 * "Prometheus", the template variable's — points at the AMP datasource by uid; every panel and query names
 * it explicitly; a stable uid, so re-runs overwrite rather than duplicate.
 */
export function prepareDashboard(model: Record<string, any>, datasourceUid: string, dashboardUid: string): Record<string, any> {
  const ref = { type: AMP_DATASOURCE_TYPE, uid: datasourceUid };
  const rewrite = (node: any): any => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, any> = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === 'datasource' && isPrometheusRef(v) ? { ...ref } : rewrite(v);
    return out;
  };
  const d = rewrite(structuredClone(model));
  const panels = (list: any[]): void => {
    for (const p of list ?? []) {
      if (p.type === 'row') {
        panels(p.panels ?? []);
        continue;
      }
      if (Array.isArray(p.targets) && p.targets.length) {
        p.datasource = { ...ref };
        for (const t of p.targets) t.datasource = { ...ref };
      }
    }
  };
  panels(d.panels);
  for (const v of d.templating?.list ?? []) if (v.type === 'query') v.datasource = { ...ref };
  d.id = null;
  d.uid = dashboardUid;
  delete d.version;
  delete d.gnetId;
  return d;
}

/** The import command's inputs: every `__inputs` entry matched by type and name. */
function importInputs(model: Record<string, any>, datasourceUid: string): { name: string; type: string; pluginId: string; value: string }[] {
  return (model.__inputs ?? []).map((i: any) => ({
    name: String(i.name),
    type: String(i.type),
    pluginId: String(i.pluginId ?? (i.type === 'datasource' ? AMP_DATASOURCE_TYPE : '')),
    value: i.type === 'datasource' ? datasourceUid : String(i.value ?? ''),
  }));
}

export interface FolderResult {
  uid: string;
  title: string;
  action: 'create' | 'unchanged';
}

/** The stack's folder, created once; a folder of the same title made another way is used as it is. */
export async function ensureFolder(client: GrafanaClient, uid: string, title: string): Promise<FolderResult> {
  const found = await client.get(`/api/folders/${encodeURIComponent(uid)}`, [404]);
  if (found.status === 200) return { uid, title: found.body?.title ?? title, action: 'unchanged' };
  const created = await client.post('/api/folders', { uid, title }, [409]);
  if (created.status !== 409) return { uid: created.body?.uid ?? uid, title, action: 'create' };
  const all = await client.get<any[]>('/api/folders?limit=1000');
  const same = (Array.isArray(all.body) ? all.body : []).find((f) => f.title === title);
  if (!same) throw new GrafanaError(`Grafana refused to create folder "${title}" (409 ${grafanaMessage(created.body)})`, 409);
  return { uid: same.uid, title, action: 'unchanged' };
}

export interface DashboardResult {
  uid: string;
  title: string;
  source: 'grafana.com' | 'shipped';
  action: 'import' | 'unchanged';
  url?: string;
  folderUid: string;
  panels: number;
}

/** What the import keeps of a dashboard, for comparing Grafana's copy with ours. */
function importedShape(d: Record<string, any>): string {
  return canonicalJson({ title: d.title, uid: d.uid, panels: d.panels ?? [], templating: d.templating ?? {} });
}

/** Imports the dashboard into the folder unless Grafana already holds exactly this one there. */
export async function ensureDashboard(client: GrafanaClient, source: DashboardSource, datasourceUid: string, dashboardUid: string, folderUid: string): Promise<DashboardResult> {
  const model = prepareDashboard(source.dashboard, datasourceUid, dashboardUid);
  const inputs = importInputs(model, datasourceUid);
  const base = { uid: dashboardUid, title: String(model.title ?? ''), source: source.source, folderUid, panels: countPanels(model.panels) };
  const existing = await client.get(`/api/dashboards/uid/${encodeURIComponent(dashboardUid)}`, [404]);
  if (existing.status === 200 && existing.body?.meta?.folderUid === folderUid) {
    const expected = substituteInputs(stripImportOnly(model), inputs);
    if (importedShape(existing.body.dashboard ?? {}) === importedShape(expected)) {
      return { ...base, action: 'unchanged', url: existing.body.meta.url ? client.absolute(existing.body.meta.url) : undefined };
    }
  }
  const res = await client.post('/api/dashboards/import', { dashboard: model, overwrite: true, inputs, folderUid });
  const url = res.body?.importedUrl ? client.absolute(res.body.importedUrl) : undefined;
  return { ...base, uid: res.body?.uid ?? dashboardUid, action: 'import', url };
}

function stripImportOnly(d: Record<string, any>): Record<string, any> {
  const { __inputs: _i, __requires: _r, __elements: _e, ...rest } = d;
  return rest;
}

/** Grafana's import substitutes `${NAME}` of each input in every string; mirrored here for the comparison. */
function substituteInputs(d: Record<string, any>, inputs: { name: string; value: string }[]): Record<string, any> {
  const walk = (n: any): any => {
    if (typeof n === 'string') return inputs.reduce((s, i) => s.split(`\${${i.name}}`).join(i.value), n);
    if (Array.isArray(n)) return n.map(walk);
    if (n && typeof n === 'object') return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, walk(v)]));
    return n;
  };
  return walk(d);
}

function countPanels(list: any[] | undefined): number {
  return (list ?? []).reduce((n, p) => n + (p.type === 'row' ? countPanels(p.panels) : 1), 0);
}

