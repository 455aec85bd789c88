import { parseUpOptions, type RawOptions, type UpOptions } from '../config/options.js';
import { CliError, ExitCode, InputError } from '../errors.js';
import { ampWorkspace } from '../resources/amp-workspace.js';
import { partitionPrometheusEndpoint } from '../stack/endpoints.js';
import { makeSpec } from '../stack/spec.js';
import { agentContainerDefinition, remoteWriteUrl, renderAgentConfig, type AgentInput } from '../templates/agent.js';
import { openSession, resolveRegion } from './session.js';

/**
 * Prints what the sidecar runs, for people adding it to their own task definitions: the same
 * functions `up` uses, so the output is exactly what `up` deploys. With --workspace-id it makes no
 * AWS call; otherwise it looks up the workspace of stack --name.
 */
export async function agentConfigCommand(raw: RawOptions): Promise<number> {
  const format = String(raw.format ?? 'yaml');
  if (format !== 'yaml' && format !== 'container') throw new InputError(`--format: "${format}" is not a format; use --format yaml or --format container`);
  const opts = parseUpOptions({ ...raw, appImage: undefined });
  const workspaceId = raw.workspaceId === undefined ? undefined : String(raw.workspaceId);
  if (workspaceId !== undefined && !/^ws-[0-9a-f-]{36}$/.test(workspaceId)) {
    throw new InputError(`--workspace-id: "${workspaceId}" is not an AMP workspace id; pass e.g. --workspace-id ws-12345678-abcd-1234-abcd-123456789012`);
  }
  // With --workspace-id there is nothing to ask AWS, so the endpoint is AMP's host in the region's partition.
  const { region, prometheusEndpoint } = workspaceId
    ? await givenWorkspace(opts, workspaceId)
    : await stackWorkspace(opts);
  const input: AgentInput = {
    jobName: opts.name,
    appPort: opts.appPort,
    metricsPath: opts.metricsPath,
    scrapeInterval: opts.scrapeInterval,
    remoteWriteUrl: remoteWriteUrl(prometheusEndpoint),
    region,
  };
  if (format === 'yaml') {
    process.stdout.write(renderAgentConfig(input));
  } else {
    const logGroup = makeSpec(opts.name, region).names.agentLogGroup;
    process.stdout.write(`${JSON.stringify(agentContainerDefinition({ ...input, logGroup }), null, 2)}\n`);
  }
  return ExitCode.ok;
}

interface Found {
  region: string;
  prometheusEndpoint: string;
}

async function givenWorkspace(opts: UpOptions, workspaceId: string): Promise<Found> {
  const region = opts.region ?? (await resolveRegion(opts.profile));
  return { region, prometheusEndpoint: partitionPrometheusEndpoint(region, workspaceId) };
}

/** The AMP workspace of stack --name, found by its alias and tag, with the endpoint AMP gives it. */
async function stackWorkspace(opts: UpOptions): Promise<Found> {
  const session = await openSession({ ...opts, json: true });
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
