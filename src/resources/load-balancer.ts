import type { LoadBalancer } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CliError } from '../errors.js';
import { hasErrorName } from '../aws/errors.js';
import { pollUntil } from '../aws/retry.js';
import { resource, type Context, type Resource } from './context.js';
import { isOwned, tags } from '../stack/spec.js';
import { createOrAdopt, observed } from './common.js';
import type { SecurityGroupState } from './security-group.js';
import { lookupTags } from './target-group.js';
import { sdk } from '../aws/sdk.js';

const { CreateLoadBalancerCommand, DeleteLoadBalancerCommand, DescribeLoadBalancersCommand, SetSecurityGroupsCommand, SetSubnetsCommand } = sdk.elbv2();

export interface LoadBalancerState {
  name: string;
  arn: string;
  dnsName: string;
  /** The zone of the ALB's DNS name: what a Route 53 alias to it names as AliasTarget.HostedZoneId. */
  canonicalHostedZoneId: string;
  state: string;
  subnetIds: string[];
  securityGroupIds: string[];
}

function toState(lb: LoadBalancer): LoadBalancerState {
  return {
    name: lb.LoadBalancerName!,
    arn: lb.LoadBalancerArn!,
    dnsName: lb.DNSName!,
    canonicalHostedZoneId: lb.CanonicalHostedZoneId!,
    state: lb.State?.Code ?? 'unknown',
    subnetIds: (lb.AvailabilityZones ?? []).map((z) => z.SubnetId!).sort(),
    securityGroupIds: [...(lb.SecurityGroups ?? [])].sort(),
  };
}

async function describe(ctx: Context, name: string): Promise<LoadBalancer | undefined> {
  try {
    return (await ctx.aws.elb.send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers?.[0];
  } catch (err) {
    if (hasErrorName(err, 'LoadBalancerNotFoundException', 'LoadBalancerNotFound')) return undefined;
    throw err;
  }
}

/** The internet-facing ALB in front of the app and Grafana. */
export function loadBalancer(name: string, refs: { securityGroup: Resource<SecurityGroupState> }): Resource<LoadBalancerState> {
  const desiredSubnets = (ctx: Context) => [...ctx.spec.network!.subnetIds].sort();
  const desiredGroups = (ctx: Context) => [refs.securityGroup.state(ctx).groupId];
  const self: Resource<LoadBalancerState> = resource<LoadBalancerState>({
    key: 'alb',
    kind: 'load-balancer',
    name,
    dependsOn: [refs.securityGroup],
    observeAfter: [],
    async observe(ctx) {
      const lb = await describe(ctx, name);
      if (!lb) return undefined;
      const owned = isOwned(ctx.spec, (await lookupTags(ctx, [lb.LoadBalancerArn!])).get(lb.LoadBalancerArn!));
      return observed(toState(lb), owned, lb.LoadBalancerArn!);
    },
    async diff(ctx, state) {
      const diffs: string[] = [];
      if (JSON.stringify(state.subnetIds) !== JSON.stringify(desiredSubnets(ctx))) diffs.push(`subnets: ${state.subnetIds.join(',')} → ${desiredSubnets(ctx).join(',')}`);
      if (JSON.stringify(state.securityGroupIds) !== JSON.stringify(desiredGroups(ctx))) diffs.push(`security groups: ${state.securityGroupIds.join(',')} → ${desiredGroups(ctx).join(',')}`);
      return diffs;
    },
    async create(ctx) {
      return createOrAdopt(self, ctx, async () => {
        const out = await ctx.aws.elb.send(new CreateLoadBalancerCommand({
          Name: name,
          Type: 'application',
          Scheme: 'internet-facing',
          IpAddressType: 'ipv4',
          Subnets: desiredSubnets(ctx),
          SecurityGroups: desiredGroups(ctx),
          Tags: tags.keyValue(ctx.spec),
        }));
        return toState(out.LoadBalancers![0]);
      }, ['DuplicateLoadBalancerNameException']);
    },
    async update(ctx, state) {
      if (JSON.stringify(state.subnetIds) !== JSON.stringify(desiredSubnets(ctx))) {
        await ctx.aws.elb.send(new SetSubnetsCommand({ LoadBalancerArn: state.arn, Subnets: desiredSubnets(ctx) }));
      }
      if (JSON.stringify(state.securityGroupIds) !== JSON.stringify(desiredGroups(ctx))) {
        await ctx.aws.elb.send(new SetSecurityGroupsCommand({ LoadBalancerArn: state.arn, SecurityGroups: desiredGroups(ctx) }));
      }
      return { ...state, subnetIds: desiredSubnets(ctx), securityGroupIds: desiredGroups(ctx) };
    },
    async settle(ctx, state) {
      if (state.state === 'active') return state;
      const lb = await pollUntil(() => describe(ctx, name), (lb) => !lb || lb.State?.Code !== 'provisioning', {
        what: `load balancer ${name} to become active`,
        timeoutMs: 10 * 60_000,
        intervalMs: 5_000,
        signal: ctx.signal,
        onPoll: (lb) => ctx.reporter.waiting('alb', `load balancer ${name} is ${lb?.State?.Code ?? 'missing'}`),
        explain: (lb) => lb?.State?.Code ?? 'missing',
      });
      if (!lb || lb.State?.Code === 'failed') {
        throw new CliError(`load balancer ${name} ${lb ? `failed to provision: ${lb.State?.Reason ?? 'no reason given'}` : 'disappeared while provisioning'}`);
      }
      return toState(lb);
    },
    async delete(ctx, state) {
      await ctx.aws.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: state.arn }));
      await pollUntil(() => describe(ctx, name), (lb) => !lb, {
        what: `load balancer ${name} to be deleted`,
        timeoutMs: 10 * 60_000,
        intervalMs: 5_000,
        signal: ctx.signal,
        onPoll: () => ctx.reporter.waiting('alb', `load balancer ${name} is being deleted`),
      });
    },
    async health(ctx) {
      const lb = await describe(ctx, name);
      const state = lb?.State?.Code ?? 'missing';
      return { healthy: state === 'active', state, detail: { dnsName: lb?.DNSName } };
    },
    identify: (s) => s.arn,
  });
  return self;
}
