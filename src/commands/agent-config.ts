import { AmpClient, ListWorkspacesCommand } from '@aws-sdk/client-amp';
import { parseUpOptions, type RawOptions, type UpOptions } from '../config/options.js';
import { checkRegion } from '../config/aws-environment.js';
import { CliError, ExitCode, InputError } from '../errors.js';
import { isOwned, makeSpec } from '../stack/spec.js';
import { agentContainerDefinition, remoteWriteUrl, renderAgentConfig, type AgentInput } from '../templates/agent.js';
import { openSession } from './session.js';

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
  const { region, workspace } = workspaceId
    ? { region: opts.region ?? (await configuredRegion(opts.profile)), workspace: workspaceId }
    : await stackWorkspace(opts);
  const input: AgentInput = {
    jobName: opts.name,
    appPort: opts.appPort,
    metricsPath: opts.metricsPath,
    scrapeInterval: opts.scrapeInterval,
    remoteWriteUrl: remoteWriteUrl(region, workspace),
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

/** The region as every command resolves it without --region: AWS_REGION, then the profile's; no AWS call. */
async function configuredRegion(profile: string | undefined): Promise<string> {
  const probe = new AmpClient(profile ? { profile } : {});
  let region: string;
  try {
    region = await probe.config.region();
  } catch {
    throw new InputError('--region: no AWS region is configured; pass --region (e.g. --region us-east-1) or set AWS_REGION');
  } finally {
    probe.destroy();
  }
  // AWS_REGION was checked with the options; a region from the profile is known only now.
  if (!process.env.AWS_REGION) checkRegion(region, { profile: profile ?? process.env.AWS_PROFILE ?? 'default' });
  return region;
}

/** The AMP workspace of stack --name, found by its alias and tag. */
async function stackWorkspace(opts: UpOptions): Promise<{ region: string; workspace: string }> {
  const session = await openSession({ ...opts, json: true });
  try {
    const spec = makeSpec(opts.name, session.region);
    const out = await session.aws.amp.send(new ListWorkspacesCommand({ alias: spec.names.workspaceAlias }));
    const ws = (out.workspaces ?? []).find((w) => isOwned(spec, w.tags) && w.status?.statusCode !== 'DELETING');
    if (!ws) throw new CliError(`no AMP workspace of stack ${spec.name} in ${spec.region}; pass --workspace-id, or run \`fargate-prom up\` first`, ExitCode.notFound);
    return { region: session.region, workspace: ws.workspaceId! };
  } finally {
    session.close();
  }
}
