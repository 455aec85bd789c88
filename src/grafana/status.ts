import type { AwsClients } from '../aws/clients.js';
import type { WorkspaceEndpoint } from '../stack/endpoints.js';
import type { StackSpec } from '../stack/spec.js';
import { grafanaTarget } from './api.js';
import { inspectGrafana, type GrafanaInspection } from './provision.js';

/** The `grafana` object of `status --json` (besides `url`, the stack's Grafana URL). */
export interface GrafanaStatus extends Partial<Omit<GrafanaInspection, 'url' | 'ok'>> {
  /** False when Grafana could not be checked from here (no load balancer, or a local emulator without --grafana-url). */
  checked: boolean;
  /** Where it was checked (the ALB's URL or --grafana-url). */
  checkedUrl?: string;
  reason?: string;
  /** Counts towards status's exit code: false when anything checked is missing or failing. */
  healthy: boolean;
  problems: string[];
}

export interface GrafanaStatusInput {
  aws: AwsClients;
  spec: StackSpec;
  /** endpoints.grafana.url from stackEndpoints */
  stackUrl?: string;
  /** --grafana-url */
  grafanaUrl?: string;
  /** The stack's workspace and its endpoint, from workspaceEndpoint. */
  workspace?: WorkspaceEndpoint;
  /** --endpoint-url: a local AWS emulator, whose load balancer names resolve nowhere. */
  endpointUrl?: string;
  /** --amp-endpoint-url or FARGATE_PROM_AMP_ENDPOINT: the server the datasource should query instead of AMP. */
  ampEndpointUrl?: string;
  signal?: AbortSignal;
}

/**
 * Grafana's part of `status`: reachable and its version, the AMP datasource present / pointing at this
 * workspace / healthy, the dashboard present. A replaced Grafana task (ephemeral storage) shows as a
 * missing datasource and dashboard; `fargate-prom up` restores them. Read-only, bounded, never throws
 * for Grafana's answers.
 */
export async function grafanaStatusSection(input: GrafanaStatusInput): Promise<GrafanaStatus> {
  const where = grafanaTarget(input);
  if (where.kind === 'emulator') {
    return { checked: false, healthy: true, problems: [], reason: 'not checked: the load balancer of a local AWS emulator cannot be reached; pass --grafana-url' };
  }
  if (where.kind === 'none') return { checked: false, healthy: true, problems: [], reason: 'not checked: the stack has no load balancer' };
  const g = await inspectGrafana({
    aws: input.aws,
    secretName: input.spec.names.grafanaSecret,
    url: where.url,
    stack: input.spec.name,
    region: input.spec.region,
    workspace: input.workspace,
    ampEndpointUrl: input.ampEndpointUrl,
    signal: input.signal,
  });
  const problems: string[] = [];
  const restore = 'run `fargate-prom up` to restore it';
  if (!g.reachable) problems.push(`Grafana not reachable at ${g.url}: ${g.error}`);
  else if (g.error) problems.push(`Grafana: ${g.error}`);
  else {
    if (!g.datasource.present) problems.push(`Grafana datasource ${g.datasource.uid} missing (a Grafana task replaced without its EFS data, as with --grafana-storage ephemeral, loses it); ${restore}`);
    else {
      if (!g.datasource.matches) problems.push(`Grafana datasource ${g.datasource.uid} does not point at this workspace (${(g.datasource.differences ?? []).join('; ') || 'no workspace'}); ${restore}`);
      if (!g.datasource.healthy) problems.push(`Grafana datasource ${g.datasource.uid} failing: ${g.datasource.message}`);
    }
    if (!g.dashboard.present) problems.push(`Grafana dashboard ${g.dashboard.uid} missing; ${restore}`);
  }
  const { url: checkedUrl, ok, ...rest } = g;
  return { checked: true, checkedUrl, ...rest, healthy: ok, problems };
}

/** The human lines of the Grafana section of `status`, to go under its `Grafana:  <url>` line. */
export function renderGrafanaStatus(g: GrafanaStatus): string {
  const pad = '            ';
  if (!g.checked) return `${pad}${g.reason}`;
  if (!g.reachable) return `${pad}PROBLEM: ${g.problems.join('; ')}`;
  const ds = g.datasource!;
  const dash = g.dashboard!;
  const dsState = !ds.present ? 'MISSING' : `${ds.matches ? 'points at this workspace' : 'POINTS ELSEWHERE'}, ${ds.healthy ? 'healthy' : `FAILING (${ds.message})`}`;
  return [
    `${pad}Grafana ${g.version ?? '(version hidden)'} reachable at ${g.checkedUrl}${g.error ? ` — PROBLEM: ${g.error}` : ''}`,
    ...(g.error ? [] : [
      `${pad}datasource ${ds.uid}: ${dsState}`,
      `${pad}dashboard ${dash.uid}: ${dash.present ? dash.url ?? 'present' : 'MISSING'}`,
    ]),
    ...(!g.healthy && !g.error ? [`${pad}run \`fargate-prom up\` to restore what is missing (a Grafana task keeps it across replacements only on EFS)`] : []),
  ].join('\n');
}
