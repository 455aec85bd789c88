import { DeleteWorkspaceCommand, DescribeWorkspaceCommand } from '@aws-sdk/client-amp';
import { isSuccess, replyJson, withBody, type ActionRule, type RuleContext } from '../rule.js';
import type { SimState } from '../state.js';
import { AwsError, jsonReply, type Reply } from '../wire.js';

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

function rewriteJson(reply: Reply, change: (body: any) => any): Reply {
  return isSuccess(reply) ? withBody(reply, JSON.stringify(change(replyJson(reply)))) : reply;
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

const describeWorkspace: ActionRule = async (ctx) => {
  await finishDeletions(ctx);
  return rewriteJson(await ctx.forward(), (body) => ({ ...body, workspace: withStatus(ctx.state, body.workspace) }));
};

const listWorkspaces: ActionRule = async (ctx) => {
  await finishDeletions(ctx);
  return rewriteJson(await ctx.forward(), (body) => ({ ...body, workspaces: (body.workspaces ?? []).map((w: any) => withStatus(ctx.state, w)) }));
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
