import type { IpPermission } from '@aws-sdk/client-ec2';
import { CliError } from '../errors.js';
import { hasErrorName } from '../aws/errors.js';
import { retryWhile } from '../aws/retry.js';
import { resource, type Context, type Resource } from './context.js';
import { isOwned, requireOptions, tags } from '../stack/spec.js';
import { createOrAdopt, deleteIgnoringMissing, observed } from './common.js';
import { sdk } from '../aws/sdk.js';

const { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, DeleteSecurityGroupCommand, DescribeSecurityGroupRulesCommand, DescribeSecurityGroupsCommand, RevokeSecurityGroupIngressCommand } = sdk.ec2();

export interface SecurityGroupState {
  groupId: string;
  vpcId: string;
  /** Normalised ingress rules: `tcp:80:cidr:0.0.0.0/0`, `tcp:3000:sg:sg-123`. */
  ingress: string[];
}

type RuleSpec = { port: number; cidr?: string; sourceGroupId?: string };

function ruleKey(r: RuleSpec): string {
  return r.cidr ? `tcp:${r.port}:cidr:${r.cidr}` : `tcp:${r.port}:sg:${r.sourceGroupId}`;
}

function toPermission(r: RuleSpec): IpPermission {
  return {
    IpProtocol: 'tcp',
    FromPort: r.port,
    ToPort: r.port,
    ...(r.cidr ? { IpRanges: [{ CidrIp: r.cidr }] } : { UserIdGroupPairs: [{ GroupId: r.sourceGroupId }] }),
  };
}

/**
 * The key of one ingress rule as AWS lists it, in IpPermissions or in DescribeSecurityGroupRules: the
 * same key in both, so a rule `diff` calls extra is the rule `update` revokes.
 */
function listedRuleKey(protocol: string | undefined, from: number | undefined, to: number | undefined, source: { cidr?: string; groupId?: string }): string {
  if (protocol !== 'tcp' || from !== to) return `${protocol}:${from}-${to}:other`;
  return source.cidr ? ruleKey({ port: from!, cidr: source.cidr }) : ruleKey({ port: from!, sourceGroupId: source.groupId });
}

function normalise(perms: IpPermission[] | undefined): string[] {
  const out: string[] = [];
  for (const p of perms ?? []) {
    if (p.IpProtocol !== 'tcp' || p.FromPort !== p.ToPort) {
      out.push(listedRuleKey(p.IpProtocol, p.FromPort, p.ToPort, {}));
      continue;
    }
    for (const r of p.IpRanges ?? []) out.push(ruleKey({ port: p.FromPort!, cidr: r.CidrIp }));
    for (const g of p.UserIdGroupPairs ?? []) out.push(ruleKey({ port: p.FromPort!, sourceGroupId: g.GroupId }));
  }
  return out.sort();
}

// A security group stays attached to ENIs for minutes after the tasks or the ALB using it are gone.
const IN_USE_BUDGET_MS = 15 * 60_000;

/**
 * A security group with only the ingress rules this stack asks for; egress stays at EC2's
 * allow-all default, which tasks need to pull images and reach AMP.
 */
function securityGroup(id: string, name: string, description: string, dependsOn: Resource[], rules: (ctx: Context) => RuleSpec[]): Resource<SecurityGroupState> {
  const self: Resource<SecurityGroupState> = resource<SecurityGroupState>({
    key: id,
    kind: 'security-group',
    name,
    dependsOn,
    observeAfter: [],
    async observe(ctx) {
      const filters = [{ Name: 'group-name', Values: [name] }];
      if (ctx.spec.network) filters.push({ Name: 'vpc-id', Values: [ctx.spec.network.vpcId] });
      const out = await ctx.aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters }));
      const groups = out.SecurityGroups ?? [];
      const group = groups.find((g) => isOwned(ctx.spec, g.Tags)) ?? groups[0];
      if (!group) return undefined;
      return observed(
        { groupId: group.GroupId!, vpcId: group.VpcId!, ingress: normalise(group.IpPermissions) },
        isOwned(ctx.spec, group.Tags),
        group.GroupId!,
      );
    },
    async diff(ctx, state) {
      const diffs: string[] = [];
      if (ctx.spec.network && state.vpcId !== ctx.spec.network.vpcId) diffs.push(`vpc: ${state.vpcId} → ${ctx.spec.network.vpcId}`);
      const want = rules(ctx).map(ruleKey).sort();
      for (const k of want) if (!state.ingress.includes(k)) diffs.push(`add ingress ${k}`);
      for (const k of state.ingress) if (!want.includes(k)) diffs.push(`remove ingress ${k}`);
      return diffs;
    },
    async create(ctx) {
      const vpcId = ctx.spec.network!.vpcId;
      const state = await createOrAdopt(self, ctx, async () => {
        const out = await ctx.aws.ec2.send(new CreateSecurityGroupCommand({
          GroupName: name,
          Description: description,
          VpcId: vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: tags.keyValue(ctx.spec) }],
        }));
        return { groupId: out.GroupId!, vpcId, ingress: [] };
      }, ['InvalidGroup.Duplicate']);
      return self.update(ctx, state, []);
    },
    async update(ctx, state) {
      if (ctx.spec.network && state.vpcId !== ctx.spec.network.vpcId) {
        throw new CliError(`security group ${name} is in ${state.vpcId}, not ${ctx.spec.network.vpcId}; a stack cannot move VPCs — run destroy first`);
      }
      const want = rules(ctx);
      const missing = want.filter((r) => !state.ingress.includes(ruleKey(r)));
      const extra = state.ingress.filter((k) => !want.some((r) => ruleKey(r) === k));
      if (missing.length > 0) {
        try {
          await ctx.aws.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: state.groupId, IpPermissions: missing.map(toPermission) }));
        } catch (err) {
          // A retried call may already have added them.
          if (!hasErrorName(err, 'InvalidPermission.Duplicate')) throw err;
        }
      }
      if (extra.length > 0) {
        const out = await ctx.aws.ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [state.groupId] }] }));
        const ids = (out.SecurityGroupRules ?? [])
          .filter((r) => !r.IsEgress)
          .filter((r) => extra.includes(listedRuleKey(r.IpProtocol, r.FromPort, r.ToPort, { cidr: r.CidrIpv4, groupId: r.ReferencedGroupInfo?.GroupId })))
          .map((r) => r.SecurityGroupRuleId!);
        if (ids.length) await ctx.aws.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: state.groupId, SecurityGroupRuleIds: ids }));
      }
      return { ...state, ingress: want.map(ruleKey).sort() };
    },
    async delete(ctx, state) {
      await retryWhile(
        () => deleteIgnoringMissing(() => ctx.aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: state.groupId })), 'InvalidGroup.NotFound'),
        {
          what: `deleting security group ${name}`,
          budgetMs: IN_USE_BUDGET_MS,
          // AWS releases the interfaces about a minute after their owner goes: asking every 5 s notices
          // it within seconds (a 30 s cap noticed a 60 s release at 83 s), a dozen calls a minute per group.
          firstDelayMs: 5_000,
          maxDelayMs: 5_000,
          signal: ctx.signal,
          retryWhen: (err) => (hasErrorName(err, 'DependencyViolation') ? 'still attached to network interfaces that AWS releases a few minutes after tasks and load balancers stop' : undefined),
          onRetry: (reason) => ctx.reporter.waiting(id, `security group ${name} ${reason}`),
        },
      );
    },
    identify: (s) => s.groupId,
  });
  return self;
}

export function albSecurityGroup(name: string): Resource<SecurityGroupState> {
  return securityGroup('sg:alb', name, 'fargate-prom load balancer: HTTP(S) from the allowed CIDR', [], (ctx) => {
    const o = requireOptions(ctx.spec);
    const ports = o.certificateArn ? [80, 443] : [80];
    return ports.map((port) => ({ port, cidr: o.allowCidr }));
  });
}

export function tasksSecurityGroup(name: string, refs: { albSecurityGroup: Resource<SecurityGroupState> }): Resource<SecurityGroupState> {
  return securityGroup('sg:tasks', name, 'fargate-prom tasks: app and Grafana ports from the load balancer only', [refs.albSecurityGroup], (ctx) => {
    const alb = refs.albSecurityGroup.state(ctx);
    const o = requireOptions(ctx.spec);
    return [o.appPort, 3000].map((port) => ({ port, sourceGroupId: alb.groupId }));
  });
}

/** NFS port (https://docs.aws.amazon.com/efs/latest/ug/network-access.html). */
export const NFS_PORT = 2049;

/** The EFS mount targets' group: NFS from the tasks only. Absent with --grafana-storage ephemeral. */
export function efsSecurityGroup(name: string, refs: { tasksSecurityGroup: Resource<SecurityGroupState> }): Resource<SecurityGroupState> {
  const group = securityGroup('sg:efs', name, 'fargate-prom EFS mount targets: NFS from the tasks only', [refs.tasksSecurityGroup], (ctx) =>
    [{ port: NFS_PORT, sourceGroupId: refs.tasksSecurityGroup.state(ctx).groupId }]);
  return Object.assign(group, { optional: true });
}
