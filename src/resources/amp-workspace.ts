import { randomUUID } from 'node:crypto';
import { CliError } from '../errors.js';
import { hasErrorName } from '../aws/errors.js';
import { pollUntil } from '../aws/retry.js';
import type { Context, Resource } from '../engine/types.js';
import { isOwned, tags } from '../stack/spec.js';
import { createOrAdopt, observed } from './common.js';
import { sdk } from '../aws/sdk.js';

const { CreateWorkspaceCommand, DeleteWorkspaceCommand, DescribeWorkspaceCommand, ListWorkspacesCommand } = sdk.amp();

export interface WorkspaceState {
  workspaceId: string;
  arn: string;
  status: string;
  statusReason?: string;
}

async function describe(ctx: Context, workspaceId: string): Promise<WorkspaceState | undefined> {
  try {
    const w = (await ctx.aws.amp.send(new DescribeWorkspaceCommand({ workspaceId }))).workspace!;
    return { workspaceId, arn: w.arn!, status: w.status?.statusCode ?? 'UNKNOWN' };
  } catch (err) {
    if (hasErrorName(err, 'ResourceNotFoundException')) return undefined;
    throw err;
  }
}

/** The AMP workspace, found by its alias (the stack name). */
export function ampWorkspace(alias: string): Resource<WorkspaceState> {
  const self: Resource<WorkspaceState> = {
    id: 'workspace',
    kind: 'amp-workspace',
    name: alias,
    dependsOn: [],
    async observe(ctx) {
      const out = await ctx.aws.amp.send(new ListWorkspacesCommand({ alias }));
      // Aliases are not unique in AMP; ours is the oldest one carrying the stack's tag.
      const candidates = (out.workspaces ?? [])
        .filter((w) => w.alias === alias && w.status?.statusCode !== 'DELETING')
        .sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0));
      const w = candidates.find((c) => isOwned(ctx.spec, c.tags)) ?? candidates[0];
      if (!w) return undefined;
      return observed({ workspaceId: w.workspaceId!, arn: w.arn!, status: w.status?.statusCode ?? 'UNKNOWN' }, isOwned(ctx.spec, w.tags), w.workspaceId!);
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
      // Already seen ACTIVE (an unchanged up): no need to ask again.
      if (state.status === 'ACTIVE') return state;
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
  };
  return self;
}
