import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { ListWorkspacesCommand } from '@aws-sdk/client-amp';
import { observeAll } from '../engine/engine.js';
import type { Context } from '../engine/types.js';
import { isOwned, STACK_TAG_KEY } from './spec.js';
import { stackResources } from './resources.js';

export interface Leftover {
  kind: string;
  name: string;
  id: string;
}

/**
 * After destroy: everything tagged with the stack that is still there — found again by name, and
 * by tag or name prefix where AWS allows more than one (security groups in other VPCs, workspaces
 * sharing an alias, task definition revisions).
 */
export async function findLeftovers(ctx: Context): Promise<Leftover[]> {
  const resources = stackResources(ctx.spec);
  const n = ctx.spec.names;
  const [observed, groups, workspaces, revisions] = await Promise.all([
    observeAll(resources, ctx),
    ctx.aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: `tag:${STACK_TAG_KEY}`, Values: [ctx.spec.name] }] })),
    ctx.aws.amp.send(new ListWorkspacesCommand({ alias: n.workspaceAlias })),
    Promise.all([n.appFamily, n.grafanaFamily].map((family) =>
      ctx.aws.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE' })).then((out) =>
        (out.taskDefinitionArns ?? []).filter((a) => a.split('/').pop()!.replace(/:\d+$/, '') === family)))),
  ]);
  const found = new Map<string, Leftover>();
  for (const r of resources) {
    const o = observed.get(r.id);
    if (o?.owned && r.kind !== 'task-definition') found.set(o.id, { kind: r.kind, name: r.name, id: o.id });
  }
  for (const g of groups.SecurityGroups ?? []) found.set(g.GroupId!, { kind: 'security-group', name: g.GroupName!, id: g.GroupId! });
  for (const w of workspaces.workspaces ?? []) {
    if (isOwned(ctx.spec, w.tags) && w.status?.statusCode !== 'DELETING') found.set(w.workspaceId!, { kind: 'amp-workspace', name: w.alias ?? '', id: w.workspaceId! });
  }
  // Revisions are listed without tags: name only those that carry ours.
  await Promise.all(revisions.flat().map(async (arn) => {
    const d = await ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
    if (isOwned(ctx.spec, d.tags)) found.set(arn, { kind: 'task-definition', name: arn.split('/').pop()!, id: arn });
  }));
  return [...found.values()];
}
