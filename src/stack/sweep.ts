import { hasErrorName } from '../aws/errors.js';
import { observeAll } from '../engine/engine.js';
import { ownedRevisions } from '../resources/task-definition.js';
import { workspacesAliased } from '../resources/amp-workspace.js';
import type { Context } from '../resources/context.js';
import { isOwned, STACK_TAG_KEY } from './spec.js';
import { stackResources } from './resources.js';
import { sdk } from '../aws/sdk.js';

const { DescribeSecurityGroupsCommand } = sdk.ec2();
const { DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand } = sdk.ecs();
const { DescribeWorkspaceCommand } = sdk.amp();
const { DescribeLogGroupsCommand } = sdk.logs();
const { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeRulesCommand, DescribeTargetGroupsCommand } = sdk.elbv2();
const { ListRolesCommand, ListRoleTagsCommand } = sdk.iam();
const { GetResourcesCommand } = sdk.tagging();
const { DescribeSecretCommand } = sdk.secrets();

export interface Leftover {
  kind: string;
  name: string;
  id: string;
}

/**
 * After destroy: everything tagged with the stack that is still there — found again by name, plus
 * whatever else carries the tag (the Resource Groups Tagging API, which also covers security groups
 * in other VPCs, workspaces sharing an alias and task definition revisions; IAM roles, which it does
 * not cover, separately).
 */
export async function findLeftovers(ctx: Context): Promise<Leftover[]> {
  // Task definition revisions are what the tagging API lists (or, without it, taggedByService):
  // observing them one by one as well would only add a round trip.
  const resources = stackResources(ctx.spec).all.filter((r) => r.kind !== 'task-definition');
  const [observed, tagged, roles] = await Promise.all([
    observeAll(resources, ctx),
    // The tagging API is an index that lags behind deletions: each resource's own service is asked
    // too, at once rather than after the observe.
    unlessDenied(ctx, taggedArns(ctx), 'tag:GetResources').then((arns) => arns && stillThereOf(ctx, arns.map(fromArn).filter((l) => !observedByName(l, resources)))),
    unlessDenied(ctx, taggedRoles(ctx), 'iam:ListRoles / iam:ListRoleTags'),
  ]);
  const found = new Map<string, Leftover>();
  for (const r of resources) {
    const o = observed.get(r);
    if (o?.owned) found.set(o.id, { kind: r.kind, name: r.name, id: o.id });
  }
  // The tagging API covers security groups in other VPCs, workspaces sharing the alias and task
  // definition revisions; only when it was denied are they looked for one by one.
  if (tagged === undefined) for (const l of await taggedByService(ctx)) found.set(l.id, l);
  for (const role of roles ?? []) if (!found.has(role.id)) found.set(role.id, role);
  const known = [...found.values()];
  for (const l of tagged ?? []) if (!found.has(l.id) && !known.some((f) => f.kind === l.kind && f.name === l.name)) found.set(l.id, l);
  return [...found.values()];
}

// Kinds whose names are unique in a region (an ECS service's within its cluster, which its ARN names):
// the stack's own observe of that name answers for the ARN too.
const UNIQUE_NAMES = new Set(['ecs-cluster', 'load-balancer', 'target-group', 'log-group', 'secret']);

/**
 * Whether the observe of one of the stack's resources already looks `l` up by its name: then asking
 * its service again is a wasted round trip (the ECS service and cluster just deleted, which the
 * tagging API lists for a while as INACTIVE, are the usual case).
 */
function observedByName(l: Leftover, resources: { kind: string; name: string }[]): boolean {
  const named = (kind: string, name: string) => resources.some((r) => r.kind === kind && r.name === name);
  if (UNIQUE_NAMES.has(l.kind)) return named(l.kind, l.name);
  if (l.kind === 'ecs-service') {
    // service/<cluster>/<name>; the older ARN format names no cluster.
    const path = l.id.split(':').pop()!.split('/');
    return path.length === 3 && named('ecs-cluster', path[1]) && named(l.kind, l.name);
  }
  // Listeners and rules of the stack's load balancer: its observe finds them (left over with it), or finds it gone.
  if (l.kind === 'listener' || l.kind === 'listener-rule') return named('load-balancer', l.name);
  return false;
}

async function stillThereOf(ctx: Context, candidates: Leftover[]): Promise<Leftover[]> {
  const still = await Promise.all(candidates.map(async (l) => ((await stillThere(ctx, l)) ? l : undefined)));
  return still.filter((l) => l !== undefined);
}

/** The extra look-ups need permissions destroy itself does not: without them, say what was not checked (undefined). */
async function unlessDenied<T>(ctx: Context, lookup: Promise<T[]>, permission: string): Promise<T[] | undefined> {
  try {
    return await lookup;
  } catch (err) {
    if (!hasErrorName(err, 'AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation')) throw err;
    ctx.reporter.warn(`the sweep could not look for resources tagged with the stack under other names (${permission} not allowed)`);
    return undefined;
  }
}

/** Without the tagging API: the stack's security groups (any VPC), workspaces (by alias) and task definition revisions, each from its own service. */
async function taggedByService(ctx: Context): Promise<Leftover[]> {
  const n = ctx.spec.names;
  const [groups, workspaces, revisions] = await Promise.all([
    ctx.aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: `tag:${STACK_TAG_KEY}`, Values: [ctx.spec.name] }] })),
    workspacesAliased(ctx, n.workspaceAlias),
    Promise.all([n.appFamily, n.grafanaFamily].map((family) => ownedRevisions(ctx, family, ['ACTIVE']))),
  ]);
  return [
    ...(groups.SecurityGroups ?? []).map((g) => ({ kind: 'security-group', name: g.GroupName!, id: g.GroupId! })),
    ...workspaces
      .filter((w) => isOwned(ctx.spec, w.tags))
      .map((w) => ({ kind: 'amp-workspace', name: w.alias ?? '', id: w.workspaceId! })),
    ...revisions.flat().map((r) => ({ kind: 'task-definition', name: r.arn.split('/').pop()!, id: r.arn })),
  ];
}

// The services a stack uses. ECS by type: `ecs` alone would include tasks, which keep the tag after they stop.
const TAGGED_TYPES = ['ec2', 'elasticloadbalancing', 'logs', 'secretsmanager', 'aps', 'ecs:cluster', 'ecs:service', 'ecs:task-definition'];

async function taggedArns(ctx: Context): Promise<string[]> {
  const arns: string[] = [];
  let PaginationToken: string | undefined;
  do {
    const out = await ctx.aws.tagging.send(new GetResourcesCommand({
      TagFilters: [{ Key: STACK_TAG_KEY, Values: [ctx.spec.name] }],
      ResourceTypeFilters: TAGGED_TYPES,
      PaginationToken,
    }));
    arns.push(...(out.ResourceTagMappingList ?? []).map((m) => m.ResourceARN!));
    PaginationToken = out.PaginationToken || undefined;
  } while (PaginationToken);
  return arns;
}

/**
 * Roles tagged with the stack. ListRoles does not return tags, so only roles named like the stack's
 * (`<stack>-…`, as every role it makes is) are asked for theirs: one call each, not one per role in the account.
 */
async function taggedRoles(ctx: Context): Promise<Leftover[]> {
  const names: { name: string; arn: string }[] = [];
  let Marker: string | undefined;
  do {
    const out = await ctx.aws.iam.send(new ListRolesCommand({ Marker, MaxItems: 1000 }));
    for (const r of out.Roles ?? []) if (r.RoleName!.startsWith(`${ctx.spec.name}-`)) names.push({ name: r.RoleName!, arn: r.Arn! });
    Marker = out.IsTruncated ? out.Marker : undefined;
  } while (Marker);
  const owned = await Promise.all(names.map(async (r) => {
    try {
      const t = await ctx.aws.iam.send(new ListRoleTagsCommand({ RoleName: r.name }));
      return isOwned(ctx.spec, t.Tags) ? { kind: 'iam-role', name: r.name, id: r.arn } : undefined;
    } catch (err) {
      if (hasErrorName(err, 'NoSuchEntity')) return undefined;
      throw err;
    }
  }));
  return owned.filter((r) => r !== undefined);
}

/** A leftover named the way the stack's own resources are (same id shape as observe's), from its ARN. */
function fromArn(arn: string): Leftover {
  const [, , service, , , ...rest] = arn.split(':');
  const resource = rest.join(':');
  const path = resource.split('/');
  if (service === 'elasticloadbalancing') {
    const kinds: Record<string, string> = { targetgroup: 'target-group', loadbalancer: 'load-balancer', listener: 'listener', 'listener-rule': 'listener-rule' };
    // targetgroup/<name>/<id>, loadbalancer/app/<name>/<id>, listener/app/<lb>/<id>/<id>
    return { kind: kinds[path[0]] ?? `elasticloadbalancing:${path[0]}`, name: path[0] === 'targetgroup' ? path[1] : path[2] ?? path[1], id: arn };
  }
  if (service === 'logs' && resource.startsWith('log-group:')) {
    const name = resource.slice('log-group:'.length).replace(/:\*$/, '');
    return { kind: 'log-group', name, id: name };
  }
  if (service === 'secretsmanager') return { kind: 'secret', name: resource.replace(/^secret:/, '').replace(/-[A-Za-z0-9]{6}$/, ''), id: arn };
  if (service === 'ec2' && path[0] === 'security-group') return { kind: 'security-group', name: path[1], id: path[1] };
  if (service === 'ecs') {
    const kinds: Record<string, string> = { cluster: 'ecs-cluster', service: 'ecs-service', 'task-definition': 'task-definition' };
    return { kind: kinds[path[0]] ?? `ecs:${path[0]}`, name: path[path.length - 1], id: arn };
  }
  if (service === 'aps' && path[0] === 'workspace') return { kind: 'amp-workspace', name: path[1], id: path[1] };
  return { kind: `${service}:${path[0]}`, name: path.slice(1).join('/') || resource, id: arn };
}

/** Whether the resource's own service still has it (deleted ECS objects stay visible as INACTIVE). */
async function stillThere(ctx: Context, l: Leftover): Promise<boolean> {
  const gone = ['TargetGroupNotFoundException', 'LoadBalancerNotFoundException', 'ListenerNotFoundException', 'RuleNotFoundException',
    'ResourceNotFoundException', 'InvalidGroup.NotFound', 'ClientException', 'ClusterNotFoundException'];
  try {
    switch (l.kind) {
      case 'target-group': return Boolean((await ctx.aws.elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [l.id] }))).TargetGroups?.length);
      case 'load-balancer': return Boolean((await ctx.aws.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [l.id] }))).LoadBalancers?.length);
      case 'listener': return Boolean((await ctx.aws.elb.send(new DescribeListenersCommand({ ListenerArns: [l.id] }))).Listeners?.length);
      case 'listener-rule': return Boolean((await ctx.aws.elb.send(new DescribeRulesCommand({ RuleArns: [l.id] }))).Rules?.length);
      case 'log-group': return Boolean((await ctx.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: l.name }))).logGroups?.some((g) => g.logGroupName === l.name));
      case 'secret': return (await ctx.aws.secrets.send(new DescribeSecretCommand({ SecretId: l.id }))).DeletedDate === undefined;
      case 'security-group': return Boolean((await ctx.aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [l.id] }))).SecurityGroups?.length);
      case 'ecs-cluster': return (await ctx.aws.ecs.send(new DescribeClustersCommand({ clusters: [l.id] }))).clusters?.some((c) => c.status !== 'INACTIVE') ?? false;
      case 'ecs-service': {
        const cluster = l.id.split('/').length > 2 ? l.id.split('/')[1] : undefined;
        return (await ctx.aws.ecs.send(new DescribeServicesCommand({ cluster, services: [l.id] }))).services?.some((s) => s.status !== 'INACTIVE') ?? false;
      }
      case 'task-definition': return (await ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: l.id }))).taskDefinition?.status === 'ACTIVE';
      case 'amp-workspace': return (await ctx.aws.amp.send(new DescribeWorkspaceCommand({ workspaceId: l.id }))).workspace?.status?.statusCode !== 'DELETING';
      // A kind the stack never makes: someone tagged it by hand; it is there as far as we can tell.
      default: return true;
    }
  } catch (err) {
    if (hasErrorName(err, ...gone)) return false;
    throw err;
  }
}
