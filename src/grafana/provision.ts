// Grafana's side of a stack: `up` configures it (datasource, folder, dashboard), `status` inspects it.
import type { AwsClients } from '../aws/clients.js';
import { pollUntil } from '../aws/retry.js';
import { CliError, TimeoutError } from '../errors.js';
import type { WorkspaceEndpoint } from '../stack/endpoints.js';
import type { Reporter } from '../ui/reporter.js';
import { GrafanaClient } from './api.js';
import { grafanaAccess } from './connect.js';
import { GNET_DASHBOARD_ID, ensureDashboard, ensureFolder, fetchDashboard, type DashboardResult, type FolderResult } from './dashboard.js';
import { datasourceDifferences, datasourceHealth, desiredDatasource, ensureDatasource, type DatasourceHealth, type DatasourceResult } from './datasource.js';
import { grafanaNames } from './names.js';

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
