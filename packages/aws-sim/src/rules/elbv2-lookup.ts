import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  type Action,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RuleContext } from '../rule.js';

export async function motoTargetGroup(ctx: RuleContext, arn: string): Promise<TargetGroup | undefined> {
  try {
    return (await ctx.moto.elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }))).TargetGroups?.[0];
  } catch (err) {
    if ((err as Error).name === 'TargetGroupNotFoundException') return undefined;
    throw err;
  }
}

function forwardsTo(actions: Action[] | undefined, targetGroupArn: string): boolean {
  return (actions ?? []).some(
    (a) => a.TargetGroupArn === targetGroupArn || (a.ForwardConfig?.TargetGroups ?? []).some((t) => t.TargetGroupArn === targetGroupArn),
  );
}

/**
 * Whether a listener or rule of a live load balancer forwards to the target group. moto's
 * TargetGroup.LoadBalancerArns is never cleared, so the listeners are checked one by one.
 */
async function isAttachedToLoadBalancer(ctx: RuleContext, group: TargetGroup): Promise<boolean> {
  for (const loadBalancerArn of group.LoadBalancerArns ?? []) {
    let listeners;
    try {
      listeners = (await ctx.moto.elb.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }))).Listeners ?? [];
    } catch (err) {
      if ((err as Error).name === 'LoadBalancerNotFoundException') continue;
      throw err;
    }
    for (const listener of listeners) {
      if (forwardsTo(listener.DefaultActions, group.TargetGroupArn!)) return true;
      const rules = (await ctx.moto.elb.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules ?? [];
      if (rules.some((rule) => forwardsTo(rule.Actions, group.TargetGroupArn!))) return true;
    }
  }
  return false;
}

/** Why ECS would refuse this target group for a service (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LoadBalancer.html), or undefined. */
export async function targetGroupProblem(ctx: RuleContext, arn: string, networkMode: string | undefined): Promise<string | undefined> {
  const group = await motoTargetGroup(ctx, arn);
  if (!group) return `The target group with targetGroupArn ${arn} does not exist.`;
  if (networkMode === 'awsvpc' && (group.TargetType ?? 'instance') !== 'ip') {
    return `The provided target group ${arn} has target type ${group.TargetType ?? 'instance'}, which is incompatible with the awsvpc network mode specified in the task definition.`;
  }
  if (!(await isAttachedToLoadBalancer(ctx, group))) {
    return `The target group with targetGroupArn ${arn} does not have an associated load balancer.`;
  }
  return undefined;
}
