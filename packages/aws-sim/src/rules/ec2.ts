import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { MotoClients } from '../moto-clients.js';
import { isSuccess, withBody, type ActionRule, type RuleContext, type ServiceHook } from '../rule.js';
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

/** moto deletes any SG at once; AWS refuses while anything depends on it, Fargate and ALB ENIs included, which
 * are released asynchronously (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-awsvpc.html). */
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

/**
 * moto accepts any group name; AWS refuses one starting with sg- (it would read as a group id).
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html
 */
const createSecurityGroup: ActionRule = async (ctx) => {
  const name = String(ctx.call.input.GroupName ?? '');
  if (name.toLowerCase().startsWith('sg-')) {
    throw new AwsError('InvalidParameterValue', `Value (${name}) for parameter GroupName is invalid. Group names may not be in the format sg-*.`);
  }
  return ctx.forward();
};

/**
 * moto knows only a Region's Availability Zones and calls every one ZoneType availability-zone; AWS also
 * lists Local Zones and Wavelength Zones, as local-zone and wavelength-zone
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AvailabilityZone.html). A zone a test marks with
 * setZoneType is reported with that type (and has no EFS mount targets, see rules/efs.ts).
 */
const describeAvailabilityZones: ActionRule = async (ctx) => {
  const reply = await ctx.forward();
  if (!isSuccess(reply) || ctx.state.zoneTypes.size === 0) return reply;
  const xml = reply.body.toString('utf8').replace(/<item>[\s\S]*?<\/item>/g, (item) => {
    const type = ctx.state.zoneTypes.get(/<zoneName>([^<]*)<\/zoneName>/.exec(item)?.[1] ?? '');
    return type ? item.replace(/<zoneType>[^<]*<\/zoneType>/, `<zoneType>${type}</zoneType>`) : item;
  });
  return withBody(reply, xml);
};

export const ec2Rules: Record<string, ActionRule> = {
  CreateSecurityGroup: createSecurityGroup,
  DeleteSecurityGroup: deleteSecurityGroup,
  DescribeAvailabilityZones: describeAvailabilityZones,
};

/**
 * moto's default VPC has no internet gateway; AWS's has one, routed from the main route table, which is what
 * makes its subnets public (https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html). Give it one, once per region after each reset, before any
 * EC2 or ELB call of that region is answered.
 */
export const defaultVpcGateway: ServiceHook = ({ moto, state, call: { region } }) => {
  let done = state.defaultVpcGateways.get(region);
  if (!done) {
    done = attachDefaultVpcGateway(moto).catch((err) => {
      state.defaultVpcGateways.delete(region);
      throw err;
    });
    state.defaultVpcGateways.set(region, done);
  }
  return done;
};

async function attachDefaultVpcGateway(moto: MotoClients): Promise<void> {
  const vpc = (await moto.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs?.[0];
  if (!vpc?.VpcId) return;
  if (await internetGatewayOf(moto, vpc.VpcId)) return;
  const gatewayId = (await moto.ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
  await moto.ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: gatewayId, VpcId: vpc.VpcId }));
  const tables = (await moto.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId] }] }))).RouteTables ?? [];
  const main = tables.find((t) => t.Associations?.some((a) => a.Main));
  await moto.ec2.send(new CreateRouteCommand({ RouteTableId: main!.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: gatewayId }));
}

/** The internet gateway attached to this VPC, if any. */
export async function internetGatewayOf(moto: MotoClients, vpcId: string): Promise<string | undefined> {
  const out = await moto.ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] }));
  return out.InternetGateways?.[0]?.InternetGatewayId;
}
