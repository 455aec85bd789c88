import type { AgentConfigOptions } from '../config/options.js';
import { CliError } from '../errors.js';
import { ampWorkspace } from '../resources/amp-workspace.js';
import { partitionPrometheusEndpoint } from '../stack/endpoints.js';
import { makeSpec } from '../stack/spec.js';
import { agentContainerDefinition, remoteWriteUrl, renderAgentConfig, type AgentInput } from '../templates/agent.js';
import type { CommandIo } from '../ui/io.js';
import { openSession, resolveRegion } from './session.js';

/** What agent-config found: the agent's config, or its container definition, exactly as `up` deploys them. */
export type AgentConfigResult =
  | { format: 'yaml'; config: string }
  | { format: 'container'; container: ReturnType<typeof agentContainerDefinition> };

/**
 * What the sidecar runs, for people adding it to their own task definitions: the same functions
 * `up` uses, so the output is exactly what `up` deploys. With --workspace-id it makes no AWS call;
 * otherwise it looks up the workspace of stack --name.
 */
export async function runAgentConfig(opts: AgentConfigOptions, io: CommandIo): Promise<AgentConfigResult> {
  // With --workspace-id there is nothing to ask AWS, so the endpoint is AMP's host in the region's partition.
  const { region, prometheusEndpoint } = opts.workspaceId
    ? await givenWorkspace(opts, opts.workspaceId)
    : await stackWorkspace(opts, io);
  const input: AgentInput = {
    jobName: opts.name,
    appPort: opts.appPort,
    metricsPath: opts.metricsPath,
    scrapeInterval: opts.scrapeInterval,
    remoteWriteUrl: remoteWriteUrl(prometheusEndpoint),
    region,
  };
  if (opts.format === 'yaml') return { format: 'yaml', config: renderAgentConfig(input) };
  const logGroup = makeSpec(opts.name, region).names.agentLogGroup;
  return { format: 'container', container: agentContainerDefinition({ ...input, logGroup }) };
}

interface Found {
  region: string;
  prometheusEndpoint: string;
}

async function givenWorkspace(opts: AgentConfigOptions, workspaceId: string): Promise<Found> {
  const region = opts.region ?? (await resolveRegion(opts.profile));
  return { region, prometheusEndpoint: partitionPrometheusEndpoint(region, workspaceId) };
}

/** The AMP workspace of stack --name, found by its alias and tag, with the endpoint AMP gives it. */
async function stackWorkspace(opts: AgentConfigOptions, io: CommandIo): Promise<Found> {
  // Progress as plain lines (as with --json): stdout carries only the config.
  const session = await openSession({ ...opts, json: true }, io);
  try {
    const spec = makeSpec(opts.name, session.region);
    // The same lookup up and destroy use; a workspace with the alias but without the stack's tag is not ours.
    const ws = await ampWorkspace(spec.names.workspaceAlias).observe(session.context(spec));
    if (!ws?.owned) throw new CliError(`no AMP workspace of stack ${spec.name} in ${spec.region}; pass --workspace-id, or run \`fargate-prom up\` first`, 'NOT_FOUND');
    if (!ws.state.prometheusEndpoint) throw new CliError(`AMP workspace ${ws.state.workspaceId} has no endpoint yet (it is ${ws.state.status}); try again once it is ACTIVE`);
    return { region: session.region, prometheusEndpoint: ws.state.prometheusEndpoint };
  } finally {
    session.close();
  }
}
