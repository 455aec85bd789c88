import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AwsClients } from '../aws/clients.js';
import { describeError } from '../aws/errors.js';
import { pollUntil } from '../aws/retry.js';
import { CliError, TimeoutError } from '../errors.js';
import { ampQueryBase, type WorkspaceEndpoint } from '../stack/endpoints.js';
import type { Reporter } from '../ui/reporter.js';
import { canonicalJson } from '../util/json.js';
import { formatDuration, scaled } from '../util/time.js';
import { GrafanaClient, GrafanaError, grafanaMessage } from './api.js';
import { sdk } from '../aws/sdk.js';

export const AMP_DATASOURCE_TYPE = 'grafana-amazonprometheus-datasource';
const GNET_DASHBOARD_ID = 11159;

/** Everything the CLI creates in Grafana is named after the stack, so two stacks can share one Grafana. */
function grafanaNames(stack: string) {
  return {
    datasourceUid: `${stack}-amp`,
    datasourceName: `AMP (${stack})`,
    folderUid: `${stack}-folder`,
    folderTitle: stack,
    dashboardUid: `${stack}-nodejs`,
  };
}

interface DatasourceBody {
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
function desiredDatasource(stack: string, region: string, workspace: WorkspaceEndpoint, ampEndpointUrl?: string): DatasourceBody {
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
function datasourceDifferences(existing: Record<string, any>, desired: DatasourceBody): string[] {
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

// ---------------------------------------------------------------------------------------------
// Reaching Grafana

interface ConnectOptions {
  aws: AwsClients;
  secretName: string;
  url: string;
  reporter: Reporter;
  signal?: AbortSignal;
  /** Real-world limit of the wait for /api/health. */
  waitMs?: number;
  /** True when the URL is the ALB's (a DNS failure then means "not resolvable from here"). */
  viaAlb?: boolean;
  /** --allow-cidr: who the ALB admits (named when this machine seems not to be among them). */
  allowCidr?: string;
}

interface Connected {
  client: GrafanaClient;
  version?: string;
}

/** Reads the Grafana admin password from Secrets Manager. The value is never logged or printed. */
async function readAdminPassword(aws: AwsClients, secretName: string): Promise<string> {
  try {
    const { GetSecretValueCommand } = sdk.secrets();
    const out = await aws.secrets.send(new GetSecretValueCommand({ SecretId: secretName }));
    if (!out.SecretString) throw new CliError(`secret ${secretName} has no string value`);
    return out.SecretString;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read the Grafana admin password from Secrets Manager (${secretName}): ${describeError(err)}`);
  }
}

/** `timedOut`: no answer at all (a connection or request timeout), as opposed to an HTTP error; `unresolved`: DNS. */
type HealthSeen = { ok: true; version?: string } | { ok: false; reason: string; timedOut?: boolean; unresolved?: boolean };

async function probeHealth(client: GrafanaClient): Promise<HealthSeen> {
  try {
    const res = await client.get<{ database?: string; version?: string }>('/api/health', [503]);
    if (res.status === 200 && res.body && typeof res.body === 'object') return { ok: true, version: res.body.version };
    return { ok: false, reason: res.status === 503 ? 'its database is failing' : `answered ${res.status}` };
  } catch (err) {
    if (err instanceof GrafanaError) return { ok: false, reason: err.message, timedOut: err.timedOut, unresolved: err.unresolved };
    throw err;
  }
}

interface GrafanaAccess {
  /** Grafana's normalised base URL. */
  base: string;
  /** /api/health without credentials. */
  probe: () => Promise<HealthSeen>;
  /** A client signed in with the admin password from Secrets Manager. */
  signIn: () => Promise<GrafanaClient>;
}

/** Reaching the Grafana at `url`: the anonymous health probe, then the admin sign-in. */
function grafanaAccess(opts: { aws: AwsClients; secretName: string; url: string; signal?: AbortSignal; timeoutMs?: number }): GrafanaAccess {
  const anonymous = new GrafanaClient({ baseUrl: opts.url, signal: opts.signal, timeoutMs: 10_000 });
  const base = anonymous.baseUrl;
  return {
    base,
    probe: () => probeHealth(anonymous),
    signIn: async () => new GrafanaClient({ baseUrl: base, password: await readAdminPassword(opts.aws, opts.secretName), signal: opts.signal, timeoutMs: opts.timeoutMs }),
  };
}

// How long only timeouts (never an HTTP answer, not even an error) may last before up stops waiting.
const UNREACHABLE_MS = 30_000;
const PROBE_INTERVAL_MS = 5_000;

/**
 * The health probe through the ALB, stopping the wait after about 30 s in which every probe timed out:
 * an ALB whose security group drops this machine's packets never answers, while a reachable one answers
 * at once (502/503 while Grafana starts), so five minutes of waiting would not help.
 */
function failFastWhenUnreachable(grafana: GrafanaAccess, allowCidr: string | undefined): () => Promise<HealthSeen> {
  const start = Date.now();
  let answered = false;
  return async () => {
    const seen = await grafana.probe();
    answered ||= seen.ok || !seen.timedOut;
    if (!answered && Date.now() - start + scaled(PROBE_INTERVAL_MS) >= scaled(UNREACHABLE_MS)) {
      const why = allowCidr && allowCidr !== '0.0.0.0/0'
        ? `the load balancer admits only --allow-cidr ${allowCidr}, and this machine's address may be outside it: pass --allow-cidr <your ip>/32 (or a block holding it)`
        : 'something between this machine and the load balancer drops the connections (a firewall or proxy)';
      throw new GrafanaError(`Grafana at ${grafana.base} did not answer for ${formatDuration(UNREACHABLE_MS)}: every connection timed out; ${why}, or reach Grafana another way with --grafana-url, then run up again`);
    }
    return seen;
  };
}

/** Waits (bounded, with progress) until Grafana answers /api/health, then signs in with the admin password. */
export async function connectGrafana(opts: ConnectOptions): Promise<Connected> {
  const grafana = grafanaAccess(opts);
  const base = grafana.base;
  const waitMs = opts.waitMs ?? 5 * 60_000;
  let seen: HealthSeen | undefined;
  try {
    const probe = opts.viaAlb ? failFastWhenUnreachable(grafana, opts.allowCidr) : grafana.probe;
    seen = await pollUntil(async () => (seen = await probe()), (v) => v.ok, {
      what: `Grafana at ${base}/api/health`,
      timeoutMs: waitMs,
      intervalMs: PROBE_INTERVAL_MS,
      signal: opts.signal,
      onPoll: (v) => opts.reporter.waiting('grafana', `waiting for Grafana at ${base}: ${v.ok ? 'up' : v.reason}`),
      explain: (v) => (v.ok ? 'up' : v.reason),
    });
  } catch (err) {
    // Only pollUntil's own timeout gets the hint; an interrupt (exit 130) passes through as it is.
    if (!(err instanceof TimeoutError)) throw err;
    const dns = seen?.ok === false && seen.unresolved;
    const hint = dns
      ? opts.viaAlb
        ? '; the load balancer\'s name does not resolve from here: reach Grafana another way with --grafana-url (e.g. a port-forward)'
        : '; check --grafana-url'
      : '; check that the Grafana service is running (fargate-prom status) or pass --grafana-url';
    throw new GrafanaError(`${err.message}${hint}`);
  }
  const client = await grafana.signIn();
  return { client, version: seen.ok ? seen.version : undefined };
}

// ---------------------------------------------------------------------------------------------
// Datasource

export interface DatasourceResult {
  uid: string;
  name: string;
  url: string;
  action: 'create' | 'update' | 'unchanged';
  differences?: string[];
}

/** Creates the AMP datasource when absent, replaces it when different, leaves it when equal. */
async function ensureDatasource(client: GrafanaClient, desired: DatasourceBody): Promise<DatasourceResult> {
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

// ---------------------------------------------------------------------------------------------
// Dashboard

interface DashboardSource {
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
async function fetchDashboard(client: GrafanaClient): Promise<DashboardSource> {
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
async function ensureFolder(client: GrafanaClient, uid: string, title: string): Promise<FolderResult> {
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
async function ensureDashboard(client: GrafanaClient, source: DashboardSource, datasourceUid: string, dashboardUid: string, folderUid: string): Promise<DashboardResult> {
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

// ---------------------------------------------------------------------------------------------
// The whole job, for `up`

export interface ProvisionOptions {
  client: GrafanaClient;
  stack: string;
  region: string;
  workspace: WorkspaceEndpoint;
  reporter: Reporter;
  signal?: AbortSignal;
  /** Real-world time to keep re-testing a failing datasource (IAM and plugin start-up settle quickly). */
  healthWaitMs?: number;
  /** The datasource queries this server instead of AMP (FARGATE_PROM_AMP_ENDPOINT: the sandbox's local data plane). */
  ampEndpointUrl?: string;
}

export interface ProvisionResult {
  datasource: DatasourceResult & DatasourceHealth;
  folder: FolderResult;
  dashboard: DashboardResult & { fallbackReason?: string };
}

export async function provisionGrafana(opts: ProvisionOptions): Promise<ProvisionResult> {
  const { client, reporter } = opts;
  const n = grafanaNames(opts.stack);
  reporter.phase('Configuring Grafana: the AMP datasource');
  const ds = await ensureDatasource(client, desiredDatasource(opts.stack, opts.region, opts.workspace, opts.ampEndpointUrl));
  reporter.info(`Grafana datasource ${ds.uid}: ${ds.action === 'unchanged' ? 'unchanged' : `${ds.action}d`}${ds.differences?.length ? ` (${ds.differences.join('; ')})` : ''}`);

  reporter.phase('Testing the datasource from Grafana');
  let health!: DatasourceHealth;
  try {
    await pollUntil(async () => (health = await datasourceHealth(client, ds.uid)), (h) => h.healthy, {
      what: `datasource ${ds.uid} to be healthy`,
      timeoutMs: opts.healthWaitMs ?? 60_000,
      intervalMs: 5_000,
      signal: opts.signal,
      onPoll: (h) => reporter.waiting('grafana-datasource', `datasource ${ds.uid} not healthy yet: ${h.message}`),
    });
  } catch (err) {
    // Still failing when the wait ends: warned below with the last answer. Anything else passes through.
    if (!(err instanceof TimeoutError)) throw err;
  }
  if (health.healthy) reporter.info(`Grafana datasource ${ds.uid} is healthy: ${health.message}`);
  else reporter.warn(`Grafana's test of datasource ${ds.uid} failed: ${health.message} (check the Grafana task role's AMP permissions; \`fargate-prom status\` tests it again)`);

  reporter.phase(`Fetching dashboard ${GNET_DASHBOARD_ID} through Grafana`);
  const source = await fetchDashboard(client);
  if (source.source === 'shipped') reporter.info(`dashboard ${GNET_DASHBOARD_ID} unavailable (${source.fallbackReason}); importing the equivalent dashboard shipped with fargate-prom`);

  const folder = await ensureFolder(client, n.folderUid, n.folderTitle);
  reporter.phase('Importing the dashboard');
  const dashboard = await ensureDashboard(client, source, ds.uid, n.dashboardUid, folder.uid);
  return {
    datasource: { ...ds, ...health },
    folder,
    dashboard: { ...dashboard, ...(source.fallbackReason ? { fallbackReason: source.fallbackReason } : {}) },
  };
}

// ---------------------------------------------------------------------------------------------
// Inspection, for `status`

export interface GrafanaInspection {
  url: string;
  reachable: boolean;
  version?: string;
  error?: string;
  datasource: { uid: string; present: boolean; matches: boolean; healthy: boolean; message?: string; differences?: string[] };
  dashboard: { uid: string; present: boolean; url?: string };
  /** Everything present, pointing at this workspace and healthy. */
  ok: boolean;
}

export interface InspectOptions {
  aws: AwsClients;
  secretName: string;
  url: string;
  stack: string;
  region: string;
  workspace?: WorkspaceEndpoint;
  /** The server the datasource is expected to query instead of AMP (--amp-endpoint-url or FARGATE_PROM_AMP_ENDPOINT). */
  ampEndpointUrl?: string;
  signal?: AbortSignal;
}

/**
 * Grafana as `status` sees it: reachable and its version, the datasource present / pointing at this
 * workspace / healthy, the dashboard present. Never throws for Grafana's answers: they become fields.
 * Fargate storage is ephemeral, so a replaced Grafana task shows up here as a missing datasource and dashboard.
 */
export async function inspectGrafana(opts: InspectOptions): Promise<GrafanaInspection> {
  const n = grafanaNames(opts.stack);
  const grafana = grafanaAccess({ ...opts, timeoutMs: 10_000 });
  const out: GrafanaInspection = {
    url: `${grafana.base}/`,
    reachable: false,
    datasource: { uid: n.datasourceUid, present: false, matches: false, healthy: false },
    dashboard: { uid: n.dashboardUid, present: false },
    ok: false,
  };
  const seen = await grafana.probe();
  if (!seen.ok) {
    out.error = seen.reason;
    return out;
  }
  out.reachable = true;
  out.version = seen.version;
  try {
    const client = await grafana.signIn();
    const ds = await client.get(`/api/datasources/uid/${encodeURIComponent(n.datasourceUid)}`, [404]);
    if (ds.status === 200) {
      out.datasource.present = true;
      if (opts.workspace) {
        const differences = datasourceDifferences(ds.body, desiredDatasource(opts.stack, opts.region, opts.workspace, opts.ampEndpointUrl));
        out.datasource.matches = differences.length === 0;
        if (differences.length) out.datasource.differences = differences;
      }
      const health = await datasourceHealth(client, n.datasourceUid);
      out.datasource.healthy = health.healthy;
      out.datasource.message = health.message;
    }
    const dash = await client.get(`/api/dashboards/uid/${encodeURIComponent(n.dashboardUid)}`, [404]);
    if (dash.status === 200) {
      out.dashboard.present = true;
      if (dash.body?.meta?.url) out.dashboard.url = client.absolute(dash.body.meta.url);
    }
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    out.error = err.message;
  }
  out.ok = out.reachable && !out.error && out.datasource.present && out.datasource.matches && out.datasource.healthy && out.dashboard.present;
  return out;
}
