import type { AwsClients } from '../aws/clients.js';
import type { WorkspaceEndpoint } from '../stack/endpoints.js';
import type { StackSpec } from '../stack/spec.js';
import type { Reporter } from '../ui/reporter.js';
import { GrafanaError, grafanaTarget, isLoopback } from './api.js';
import { resolves } from '../stack/dns.js';
import { connectGrafana } from './connect.js';
import { provisionGrafana, type ProvisionResult } from './provision.js';

/** What `up --json` carries under `grafana` (next to `url`, the stack's Grafana URL). */
export interface GrafanaUpReport {
  url?: string;
  provisioning: 'done' | 'pending' | 'skipped' | 'failed';
  /** Where the CLI reached Grafana, when not through the stack's URL (--grafana-url). */
  apiUrl?: string;
  reason?: string;
  error?: string;
  version?: string;
  datasource?: ProvisionResult['datasource'];
  folder?: ProvisionResult['folder'];
  dashboard?: ProvisionResult['dashboard'];
}

export interface GrafanaUpInput {
  aws: AwsClients;
  spec: StackSpec;
  reporter: Reporter;
  signal?: AbortSignal;
  /** The stack's Grafana URL (through the ALB), from stackEndpoints. */
  stackUrl?: string;
  /** --grafana-url */
  grafanaUrl?: string;
  /** The stack's workspace and its endpoint, from workspaceEndpoint. */
  workspace?: WorkspaceEndpoint;
  /** False with --no-wait: report the Grafana steps as pending. */
  wait: boolean;
  /** --endpoint-url: a local AWS emulator, whose load balancer names resolve nowhere. */
  endpointUrl?: string;
  /** The stack's domain, when its DNS record is the user's to create (no Route 53 zone): Grafana waits until it resolves. */
  awaitingDns?: string;
  /** FARGATE_PROM_AMP_ENDPOINT: the datasource queries this server instead of AMP (the sandbox's local data plane). */
  ampEndpointUrl?: string;
}

/**
 * The Grafana part of `up`, after the AWS resources are in place: wait for Grafana, sign in with the
 * admin password from Secrets Manager, then datasource, datasource test, folder and dashboard.
 * Makes no AWS call but the one read of the secret. A Grafana failure throws a GrafanaError (one line).
 */
export async function grafanaUpStep(input: GrafanaUpInput): Promise<GrafanaUpReport> {
  const report: GrafanaUpReport = { url: input.stackUrl, provisioning: 'pending' };
  if (input.grafanaUrl) report.apiUrl = input.grafanaUrl;
  if (!input.wait) {
    report.reason = 'not waiting for the services (--no-wait); the next `fargate-prom up` configures Grafana';
    return report;
  }
  const where = grafanaTarget(input);
  if (where.kind === 'emulator') {
    return { ...report, provisioning: 'skipped', reason: 'the load balancer of a local AWS emulator (--endpoint-url) cannot be reached; pass --grafana-url to configure a Grafana' };
  }
  if (where.kind === 'none' || !input.workspace) {
    throw new GrafanaError('cannot configure Grafana: the stack has no load balancer or AMP workspace yet; run `fargate-prom up` again');
  }
  const target = where.url;
  if (input.awaitingDns && !input.grafanaUrl && !(await resolves(input.awaitingDns))) {
    return { ...report, reason: `${input.awaitingDns} does not resolve yet: create the DNS record above, then run \`fargate-prom up\` again (or pass --grafana-url)` };
  }
  const clearText = plainHttpWarning(target);
  if (clearText) input.reporter.warn(clearText);
  input.reporter.phase(`Waiting for Grafana at ${target}`);
  const { client, version } = await connectGrafana({
    aws: input.aws,
    secretName: input.spec.names.grafanaSecret,
    url: target,
    reporter: input.reporter,
    signal: input.signal,
    viaAlb: !input.grafanaUrl,
    allowCidr: input.spec.options?.allowCidr,
  });
  if (version) input.reporter.info(`Grafana ${version} is up`);
  const result = await provisionGrafana({
    client,
    stack: input.spec.name,
    region: input.spec.region,
    workspace: input.workspace,
    reporter: input.reporter,
    signal: input.signal,
    ampEndpointUrl: input.ampEndpointUrl,
  });
  return { ...report, provisioning: 'done', version, ...result };
}

/**
 * The warning `up` gives before signing in to Grafana over plain HTTP to another machine (a public ALB
 * without --certificate-arn, or a non-loopback --grafana-url); undefined for HTTPS and loopback. Decided
 * from the URL alone, before any request.
 */
export function plainHttpWarning(url: string): string | undefined {
  if (new URL(url).protocol !== 'http:' || isLoopback(url)) return undefined;
  return `Grafana at ${url} is plain HTTP: the admin password crosses the network in clear when the CLI signs in; pass --certificate-arn to serve HTTPS`;
}

/** The human lines of the Grafana part of `up`'s result. */
export function renderGrafanaUp(g: GrafanaUpReport): string {
  if (g.provisioning === 'pending') return `  Grafana setup: pending — ${g.reason}\n`;
  if (g.provisioning === 'skipped') return `  Grafana setup: skipped — ${g.reason}\n`;
  if (g.provisioning !== 'done' || !g.datasource || !g.dashboard) return '';
  const ds = g.datasource;
  const dash = g.dashboard;
  return [
    `  Grafana${g.version ? ` ${g.version}` : ''}: datasource ${ds.uid} ${ds.action}, ${ds.healthy ? 'healthy' : `NOT healthy (${ds.message})`}`,
    `  Dashboard: ${dash.url ?? dash.uid}  (${dash.source === 'grafana.com' ? 'dashboard 11159 from grafana.com' : 'shipped with fargate-prom'}, ${dash.panels} panels, ${dash.action === 'import' ? 'imported' : 'unchanged'})`,
    '',
  ].join('\n');
}
