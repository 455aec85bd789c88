import { ListWorkspacesCommand } from '@aws-sdk/client-amp';
import { parseUpOptions, type RawOptions } from '../config/options.js';
import { CliError, ExitCode, InputError } from '../errors.js';
import { isOwned, makeSpec } from '../stack/spec.js';
import { agentContainerDefinition, remoteWriteUrl, renderAgentConfig, type AgentInput } from '../templates/agent.js';
import { openSession } from './session.js';

/**
 * Prints what the sidecar runs, for people adding it to their own task definitions: the same
 * functions `up` uses, so the output is exactly what `up` deploys.
 */
export async function agentConfigCommand(raw: RawOptions): Promise<number> {
  const format = String(raw.format ?? 'yaml');
  if (format !== 'yaml' && format !== 'container') throw new InputError(`--format: "${format}" is not a format; use --format yaml or --format container`);
  const opts = parseUpOptions({ ...raw, appImage: undefined });
  const workspaceId = raw.workspaceId === undefined ? undefined : String(raw.workspaceId);
  if (workspaceId !== undefined && !/^ws-[0-9a-f-]{36}$/.test(workspaceId)) {
    throw new InputError(`--workspace-id: "${workspaceId}" is not an AMP workspace id; pass e.g. --workspace-id ws-12345678-abcd-1234-abcd-123456789012`);
  }
  const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  let url: string;
  let resolvedRegion: string;
  if (workspaceId && region) {
    url = remoteWriteUrl(region, workspaceId);
    resolvedRegion = region;
  } else {
    // No workspace id: find the stack's workspace by its alias.
    const session = await openSession({ ...opts, json: true });
    try {
      const spec = makeSpec(opts.name, session.region);
      const out = await session.aws.amp.send(new ListWorkspacesCommand({ alias: spec.names.workspaceAlias }));
      const ws = (out.workspaces ?? []).find((w) => isOwned(spec, w.tags) && w.status?.statusCode !== 'DELETING');
      if (!ws) throw new CliError(`no AMP workspace of stack ${spec.name} in ${spec.region}; pass --workspace-id, or run \`fargate-prom up\` first`, ExitCode.notFound);
      url = remoteWriteUrl(session.region, workspaceId ?? ws.workspaceId!);
      resolvedRegion = session.region;
    } finally {
      session.close();
    }
  }
  const input: AgentInput = {
    jobName: opts.name,
    appPort: opts.appPort,
    metricsPath: opts.metricsPath,
    scrapeInterval: opts.scrapeInterval,
    remoteWriteUrl: url,
    region: resolvedRegion,
  };
  if (format === 'yaml') {
    process.stdout.write(renderAgentConfig(input));
  } else {
    const logGroup = makeSpec(opts.name, resolvedRegion).names.agentLogGroup;
    process.stdout.write(`${JSON.stringify(agentContainerDefinition({ ...input, logGroup }), null, 2)}\n`);
  }
  return ExitCode.ok;
}
