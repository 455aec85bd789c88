import { parse } from 'yaml';
import { AmpQueryClient } from '../aws/amp-query.js';
import { checkIngestion, type IngestionReport } from '../aws/ingestion.js';
import { parseDurationSeconds } from '../config/options.js';
import type { Context } from '../resources/context.js';
import type { TaskDefinitionState } from '../resources/task-definition.js';
import { AGENT_CONTAINER } from '../templates/agent.js';
import { recentAgentErrors, type AgentLogLine } from './agent-log.js';
import { ampQueryBase, workspaceEndpoint } from './endpoints.js';
import type { Stack } from './resources.js';

export type StackIngestion = (
  | ({ checked: true } & IngestionReport)
  | { checked: false; healthy: false; problems: string[] }
  // Not checked, and not held against the stack: there is no AMP data plane to ask.
  | { checked: false; skipped: string; healthy: true; problems: [] }
) & {
  /** When metrics are not healthy: the agent's recent error lines, which usually say why. */
  agentLog?: AgentLogLine[];
};

/** The scrape interval the deployed agent runs with, read back from the registered task definition. */
export function deployedScrapeInterval(td: TaskDefinitionState | undefined): number | undefined {
  const containers = (td?.fingerprint.containers ?? []) as { name: string; environment: string[] }[];
  const env = containers.find((c) => c.name === AGENT_CONTAINER)?.environment.find((e) => e.startsWith('PROM_AGENT_CONFIG='));
  if (!env) return undefined;
  const interval = (parse(env.slice('PROM_AGENT_CONFIG='.length)) as { global?: { scrape_interval?: string } })?.global?.scrape_interval;
  return interval ? parseDurationSeconds(interval) : undefined;
}

/**
 * Whether this stack's metrics really arrive in its workspace; needs the observed states in ctx.
 * `ampEndpointUrl`: --amp-endpoint-url or FARGATE_PROM_AMP_ENDPOINT, a server to query instead of AMP.
 */
export async function stackIngestion(ctx: Context, stack: Stack, ampEndpointUrl?: string): Promise<StackIngestion> {
  const workspace = workspaceEndpoint(stack.workspace.peek(ctx));
  const td = stack.appTaskDefinition.peek(ctx);
  const service = stack.appService.peek(ctx);
  const interval = deployedScrapeInterval(td);
  if (!workspace || interval === undefined) {
    return { checked: false, healthy: false, problems: [`not checked: ${!workspace ? 'no AMP workspace' : 'no agent in the app task definition'}`] };
  }
  if (!ampEndpointUrl && ctx.aws.settings.endpointUrl) {
    return { checked: false, skipped: '--endpoint-url points the AWS calls at an emulator, which has no AMP data plane; pass --amp-endpoint-url to check one', healthy: true, problems: [] };
  }
  const query = new AmpQueryClient(ampQueryBase(workspace, ampEndpointUrl), ctx.spec.region, ctx.aws.credentials());
  let result: StackIngestion;
  try {
    const report = await checkIngestion(query, { job: ctx.spec.name, expectedTargets: service?.desiredCount ?? 0, scrapeIntervalSeconds: interval });
    result = { checked: true, ...report };
  } catch (err) {
    result = { checked: false, healthy: false, problems: [(err as Error).message] };
  }
  if (!result.healthy) {
    // Best effort: the log group may be gone or unreadable; the verdict stands either way.
    const agentLog = await recentAgentErrors(ctx).catch(() => undefined);
    if (agentLog?.length) result.agentLog = agentLog;
  }
  return result;
}
