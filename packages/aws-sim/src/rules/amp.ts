import { DeleteWorkspaceCommand, DescribeWorkspaceCommand, ListWorkspacesCommand } from '@aws-sdk/client-amp';
import { isSuccess, replyJson, rewriteJson, type ActionRule, type RuleContext } from '../rule.js';
import type { SimState } from '../state.js';
import { AwsError, jsonReply } from '../wire.js';

/** The simulated status of a workspace, or undefined when the proxy never saw it created. */
function simulatedStatus(state: SimState, workspaceId: string): string | undefined {
  const record = state.workspaces.get(workspaceId);
  if (!record) return undefined;
  if (record.deletingAt !== undefined) return 'DELETING';
  if (!state.isOver(record.createdAt, 'ampCreateMs')) return 'CREATING';
  return record.fails ? 'CREATION_FAILED' : 'ACTIVE';
}

function withStatus(state: SimState, workspace: any): any {
  const status = workspace?.workspaceId && simulatedStatus(state, workspace.workspaceId);
  return status ? { ...workspace, status: { ...workspace.status, statusCode: status } } : workspace;
}

/** Workspaces whose DELETING phase is over are really deleted in moto now. */
async function finishDeletions(ctx: RuleContext): Promise<void> {
  const { state } = ctx;
  for (const [workspaceId, record] of state.workspaces) {
    if (record.deletingAt !== undefined && state.isOver(record.deletingAt, 'ampDeleteMs')) {
      state.workspaces.delete(workspaceId);
      await ctx.moto.amp.send(new DeleteWorkspaceCommand({ workspaceId })).catch(() => undefined);
    }
  }
}

const notFound = (workspaceId: string) =>
  new AwsError('ResourceNotFoundException', `Workspace ${workspaceId} not found.`, 404, { resourceId: workspaceId, resourceType: 'WORKSPACE' });

/** moto answers ACTIVE at once; AWS starts in CREATING (https://docs.aws.amazon.com/prometheus/latest/APIReference/API_WorkspaceStatus.html). */
const createWorkspace: ActionRule = async (ctx) => {
  // AWS honours clientToken: a retried call returns the first call's workspace (moto makes another).
  const token = ctx.call.input.clientToken ? `aps:${ctx.call.input.clientToken}` : undefined;
  const earlier = token && ctx.state.clientTokens.get(token);
  if (earlier) {
    const w = (await ctx.moto.amp.send(new DescribeWorkspaceCommand({ workspaceId: earlier }))).workspace!;
    return jsonReply(withStatus(ctx.state, { workspaceId: w.workspaceId, arn: w.arn, status: w.status, tags: w.tags }), 202, 'application/json');
  }
  const reply = await ctx.forward();
  if (!isSuccess(reply)) return reply;
  const workspaceId = replyJson(reply).workspaceId;
  const fails = ctx.state.failingWorkspaceAliases.has(ctx.call.input.alias);
  if (workspaceId) ctx.state.workspaces.set(workspaceId, { createdAt: ctx.state.now(), ...(fails ? { fails } : {}) });
  if (workspaceId && token) ctx.state.clientTokens.set(token, workspaceId);
  return rewriteJson(reply, (body) => withStatus(ctx.state, body));
};

/** AWS decides a workspace's endpoint (its host differs by partition); a test may move it to see it is read, not built. */
function withEndpoint(state: SimState, workspace: any): any {
  if (!state.ampEndpointHost || !workspace?.workspaceId) return workspace;
  return { ...workspace, prometheusEndpoint: `https://${state.ampEndpointHost}/workspaces/${workspace.workspaceId}/` };
}

const describeWorkspace: ActionRule = async (ctx) => {
  await finishDeletions(ctx);
  return rewriteJson(await ctx.forward(), (body) => ({ ...body, workspace: withEndpoint(ctx.state, withStatus(ctx.state, body.workspace)) }));
};

/** Every workspace moto has, in creation order, in ListWorkspaces' wire shape. */
async function allWorkspaces(ctx: RuleContext): Promise<any[]> {
  const all: any[] = [];
  let nextToken: string | undefined;
  do {
    const out = await ctx.moto.amp.send(new ListWorkspacesCommand({ maxResults: 1000, nextToken }));
    for (const w of out.workspaces ?? []) {
      all.push({ ...w, createdAt: (w.createdAt?.getTime() ?? 0) / 1000 });
    }
    nextToken = out.nextToken || undefined;
  } while (nextToken);
  return all;
}

/**
 * moto matches `alias` exactly; AWS lists the workspaces whose alias STARTS with it (spaces trimmed), in
 * pages of maxResults (1–1000, default 100) with a nextToken, DELETING ones included.
 * https://docs.aws.amazon.com/prometheus/latest/APIReference/API_ListWorkspaces.html
 */
const listWorkspaces: ActionRule = async (ctx) => {
  await finishDeletions(ctx);
  const alias = ctx.call.query.get('alias')?.trim();
  const maxResults = Number(ctx.call.query.get('maxResults') ?? 100);
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000) {
    throw new AwsError('ValidationException', `1 validation error detected: Value '${ctx.call.query.get('maxResults')}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 1000`);
  }
  const token = ctx.call.query.get('nextToken');
  const start = token ? Number(/^sim-(\d+)$/.exec(token)?.[1] ?? NaN) : 0;
  if (Number.isNaN(start)) throw new AwsError('ValidationException', 'Invalid nextToken');
  const matching = (await allWorkspaces(ctx)).filter((w) => !alias || (w.alias ?? '').startsWith(alias));
  const page = matching.slice(start, start + maxResults).map((w) => withStatus(ctx.state, w));
  const more = start + maxResults < matching.length;
  return jsonReply({ workspaces: page, ...(more ? { nextToken: `sim-${start + maxResults}` } : {}) }, 200, 'application/json');
};

/** A workspace being created, updated or deleted cannot be deleted; it is then DELETING for ampDeleteMs before it is gone. */
const deleteWorkspace: ActionRule = async (ctx) => {
  await finishDeletions(ctx);
  const workspaceId = ctx.call.pathSegments[1];
  // AWS honours DeleteWorkspace's clientToken (in the query string): a retried call is accepted again.
  const clientToken = ctx.call.query.get('clientToken');
  const token = clientToken ? `aps-delete:${clientToken}` : undefined;
  if (token && ctx.state.clientTokens.get(token) === workspaceId) return { status: 202, headers: { 'content-type': 'application/json' }, body: Buffer.alloc(0) };
  const exists = await ctx.moto.amp.send(new DescribeWorkspaceCommand({ workspaceId })).then(() => true, () => false);
  if (!exists) throw notFound(workspaceId);
  const status = simulatedStatus(ctx.state, workspaceId) ?? 'ACTIVE';
  if (status !== 'ACTIVE' && status !== 'CREATION_FAILED') {
    throw new AwsError('ConflictException', `Workspace ${workspaceId} is in status ${status}; deletion is disallowed until it is ACTIVE.`, 409, {
      resourceId: workspaceId,
      resourceType: 'WORKSPACE',
    });
  }
  const record = ctx.state.workspaces.get(workspaceId) ?? { createdAt: 0 };
  ctx.state.workspaces.set(workspaceId, { ...record, deletingAt: ctx.state.now() });
  if (token) ctx.state.clientTokens.set(token, workspaceId);
  return { status: 202, headers: { 'content-type': 'application/json' }, body: Buffer.alloc(0) };
};

export const ampRules: Record<string, ActionRule> = {
  CreateWorkspace: createWorkspace,
  DescribeWorkspace: describeWorkspace,
  ListWorkspaces: listWorkspaces,
  DeleteWorkspace: deleteWorkspace,
};
