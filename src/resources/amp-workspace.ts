import { randomUUID } from 'node:crypto';
import type { WorkspaceSummary } from '@aws-sdk/client-amp';
import { CliError } from '../errors.js';
import { hasErrorName } from '../aws/errors.js';
import { pollUntil } from '../aws/retry.js';
import { resource, type Context, type Resource } from './context.js';
import { isOwned, tags } from '../stack/spec.js';
import { createOrAdopt, observed } from './common.js';
import { sdk } from '../aws/sdk.js';

const { CreateWorkspaceCommand, DeleteWorkspaceCommand, DescribeWorkspaceCommand, ListWorkspacesCommand } = sdk.amp();

export interface WorkspaceState {
  workspaceId: string;
  arn: string;
  status: string;
  statusReason?: string;
  /** As DescribeWorkspace gives it (…/workspaces/<id>/): the host differs by partition, so it is read, never built. */
  prometheusEndpoint?: string;
}

async function describe(ctx: Context, workspaceId: string): Promise<WorkspaceState | undefined> {
  try {
    const w = (await ctx.aws.amp.send(new DescribeWorkspaceCommand({ workspaceId }))).workspace!;
    return { workspaceId, arn: w.arn!, status: w.status?.statusCode ?? 'UNKNOWN', prometheusEndpoint: w.prometheusEndpoint };
  } catch (err) {
    if (hasErrorName(err, 'ResourceNotFoundException')) return undefined;
    throw err;
  }
}

/**
 * The workspaces aliased exactly `alias` and not being deleted, oldest first. AMP's alias filter is a
 * prefix ("shop" also lists "shop-staging"), results come in pages and DELETING workspaces are listed:
 * https://docs.aws.amazon.com/prometheus/latest/APIReference/API_ListWorkspaces.html
 * Aliases are not unique in AMP, so which of them is the stack's is for the caller to say by the tag.
 */
export async function workspacesAliased(ctx: Context, alias: string): Promise<WorkspaceSummary[]> {
  const found: WorkspaceSummary[] = [];
  let nextToken: string | undefined;
  do {
    const out = await ctx.aws.amp.send(new ListWorkspacesCommand({ alias, nextToken }));
    found.push(...(out.workspaces ?? []).filter((w) => w.alias === alias && w.status?.statusCode !== 'DELETING'));
    nextToken = out.nextToken || undefined;
  } while (nextToken);
  return found.sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0));
}

/** The AMP workspace, found by its alias (the stack name). */
export function ampWorkspace(alias: string): Resource<WorkspaceState> {
  const self: Resource<WorkspaceState> = resource<WorkspaceState>({
    key: 'workspace',
    kind: 'amp-workspace',
    name: alias,
    dependsOn: [],
    async observe(ctx) {
      // Ours is the oldest one carrying the stack's tag; one with the alias but not the tag is foreign.
      const candidates = await workspacesAliased(ctx, alias);
      const w = candidates.find((c) => isOwned(ctx.spec, c.tags)) ?? candidates[0];
      if (!w) return undefined;
      const owned = isOwned(ctx.spec, w.tags);
      const summary = { workspaceId: w.workspaceId!, arn: w.arn!, status: w.status?.statusCode ?? 'UNKNOWN' };
      if (!owned) return observed(summary, false, summary.workspaceId);
      // ListWorkspaces does not carry the endpoint: ask for ours (gone since it was listed: nothing to find).
      const state = await describe(ctx, summary.workspaceId);
      return state && observed(state, true, state.workspaceId);
    },
    async diff() {
      return [];
    },
    async create(ctx) {
      return createOrAdopt(self, ctx, async () => {
        // One client token per create: an SDK retry of the same call cannot make a second workspace.
        const out = await ctx.aws.amp.send(new CreateWorkspaceCommand({ alias, tags: tags.map(ctx.spec), clientToken: randomUUID() }));
        return { workspaceId: out.workspaceId!, arn: out.arn!, status: out.status?.statusCode ?? 'CREATING' };
      }, []);
    },
    async update(_ctx, state) {
      return state;
    },
    async settle(ctx, state) {
      // Already seen ACTIVE with its endpoint (an unchanged up): no need to ask again.
      if (state.status === 'ACTIVE' && state.prometheusEndpoint) return state;
      const final = await pollUntil(
        async () => (await describe(ctx, state.workspaceId)) ?? { ...state, status: 'MISSING' },
        (w) => w.status !== 'CREATING' && w.status !== 'UPDATING',
        {
          what: `AMP workspace ${state.workspaceId} to become ACTIVE`,
          timeoutMs: 10 * 60_000,
          intervalMs: 5_000,
          signal: ctx.signal,
          onPoll: (w) => ctx.reporter.waiting('workspace', `AMP workspace ${state.workspaceId} is ${w.status}`),
          explain: (w) => w.status,
        },
      );
      if (final.status !== 'ACTIVE') {
        throw new CliError(`AMP workspace ${state.workspaceId} is ${final.status}, not ACTIVE; run \`fargate-prom destroy\` and then \`up\` again`);
      }
      return final;
    },
    async delete(ctx, state) {
      // AMP refuses to delete a workspace that is still being created (ConflictException).
      const current = await pollUntil(() => describe(ctx, state.workspaceId), (w) => !w || (w.status !== 'CREATING' && w.status !== 'UPDATING'), {
        what: `AMP workspace ${state.workspaceId} to finish creating before it can be deleted`,
        timeoutMs: 10 * 60_000,
        intervalMs: 5_000,
        signal: ctx.signal,
      });
      if (!current) return;
      if (current.status !== 'DELETING') {
        try {
          await ctx.aws.amp.send(new DeleteWorkspaceCommand({ workspaceId: state.workspaceId, clientToken: randomUUID() }));
        } catch (err) {
          if (hasErrorName(err, 'ResourceNotFoundException')) return;
          throw err;
        }
      }
      await pollUntil(() => describe(ctx, state.workspaceId), (w) => !w, {
        what: `AMP workspace ${state.workspaceId} to be deleted`,
        timeoutMs: 10 * 60_000,
        intervalMs: 5_000,
        signal: ctx.signal,
        onPoll: () => ctx.reporter.waiting('workspace', `AMP workspace ${state.workspaceId} is DELETING`),
      });
    },
    async health(ctx, state) {
      const w = await describe(ctx, state.workspaceId);
      return { healthy: w?.status === 'ACTIVE', state: w?.status ?? 'MISSING' };
    },
    identify: (s) => s.workspaceId,
  });
  return self;
}
