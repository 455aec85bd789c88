import { DescribeSecurityGroupsCommand, type SecurityGroup } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ActionRule, RuleContext } from '../rule.js';
import { AwsError } from '../wire.js';

function referencesGroup(group: SecurityGroup, groupId: string): boolean {
  return [...(group.IpPermissions ?? []), ...(group.IpPermissionsEgress ?? [])].some((permission) =>
    (permission.UserIdGroupPairs ?? []).some((pair) => pair.GroupId === groupId),
  );
}

/** What still holds this SG on AWS (other SGs' rules, ALBs, ECS tasks, lingering ENIs), if anything. */
async function securityGroupDependent(ctx: RuleContext, groupId: string, groups: SecurityGroup[]): Promise<string | undefined> {
  const referencing = groups.find((g) => g.GroupId !== groupId && referencesGroup(g, groupId));
  if (referencing) return `a rule of security group ${referencing.GroupId}`;
  const loadBalancers = (await ctx.moto.elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
  const loadBalancer = loadBalancers.find((lb) => (lb.SecurityGroups ?? []).includes(groupId));
  if (loadBalancer) return `load balancer ${loadBalancer.LoadBalancerName}`;
  return ctx.state.securityGroupBlocker(groupId);
}

/** moto deletes any SG at once; AWS refuses while anything depends on it (aws-rules.md §7, §13.6). */
const deleteSecurityGroup: ActionRule = async (ctx) => {
  const { GroupId, GroupName } = ctx.call.input;
  const groups = (await ctx.moto.ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? [];
  const target = groups.find((g) => (GroupId ? g.GroupId === GroupId : g.GroupName === GroupName));
  if (!target?.GroupId) return ctx.forward();
  const dependent = await securityGroupDependent(ctx, target.GroupId, groups);
  if (dependent) {
    throw new AwsError('DependencyViolation', `resource ${target.GroupId} has a dependent object (${dependent})`);
  }
  return ctx.forward();
};

export const ec2Rules: Record<string, ActionRule> = { DeleteSecurityGroup: deleteSecurityGroup };
