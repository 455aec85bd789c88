import { DescribeRouteTablesCommand, DescribeSubnetsCommand, DescribeVpcsCommand, type Subnet } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../aws/clients.js';
import { InputError } from '../errors.js';
import type { Reporter } from '../ui/reporter.js';
import type { Network } from './spec.js';

/**
 * Picks the VPC and subnets: the ones named by flags, or the default VPC with one default subnet
 * per availability zone. An ALB needs two zones, so fewer is an input error.
 */
export async function resolveNetwork(aws: AwsClients, vpcIdFlag: string | undefined, subnetIdsFlag: string[] | undefined, reporter: Reporter): Promise<Network> {
  let vpcId = vpcIdFlag;
  if (vpcId) {
    const out = await aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    if (!out.Vpcs?.length) throw new InputError(`--vpc-id: ${vpcId} does not exist in ${aws.settings.region}; pass a VPC id from this region`);
  } else {
    const out = await aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
    vpcId = out.Vpcs?.[0]?.VpcId;
    if (!vpcId) throw new InputError(`--vpc-id: there is no default VPC in ${aws.settings.region}; pass --vpc-id and --subnet-ids`);
  }

  let subnets: Subnet[];
  if (subnetIdsFlag) {
    const out = await aws.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: subnetIdsFlag }] }));
    subnets = out.Subnets ?? [];
    const missing = subnetIdsFlag.filter((id) => !subnets.some((s) => s.SubnetId === id));
    if (missing.length) throw new InputError(`--subnet-ids: ${missing.join(', ')} not found in ${aws.settings.region}; pass subnets of the stack's VPC`);
    const foreign = subnets.filter((s) => s.VpcId !== vpcId);
    if (foreign.length) throw new InputError(`--subnet-ids: ${foreign.map((s) => s.SubnetId).join(', ')} ${foreign.length === 1 ? 'is' : 'are'} not in ${vpcId}; pass subnets of one VPC (and --vpc-id for a non-default VPC)`);
  } else {
    const filters = [{ Name: 'vpc-id', Values: [vpcId] }];
    if (!vpcIdFlag) filters.push({ Name: 'default-for-az', Values: ['true'] });
    subnets = (await aws.ec2.send(new DescribeSubnetsCommand({ Filters: filters }))).Subnets ?? [];
    // One subnet per zone: an ALB takes at most one per availability zone.
    const perZone = new Map<string, Subnet>();
    for (const s of [...subnets].sort((a, b) => a.SubnetId!.localeCompare(b.SubnetId!))) if (!perZone.has(s.AvailabilityZone!)) perZone.set(s.AvailabilityZone!, s);
    subnets = [...perZone.values()];
  }
  const zones = new Set(subnets.map((s) => s.AvailabilityZone));
  if (zones.size < 2) {
    throw new InputError(`--subnet-ids: the load balancer needs subnets in at least two availability zones, found ${zones.size} (${[...zones].join(', ') || 'none'}); pass subnets from two or more zones`);
  }
  if (subnetIdsFlag && zones.size < subnets.length) {
    throw new InputError('--subnet-ids: two of the subnets are in the same availability zone; an ALB takes one subnet per zone');
  }

  const assignPublicIp = await routesToInternetGateway(aws, vpcId, subnets.map((s) => s.SubnetId!));
  if (assignPublicIp === 'mixed') {
    reporter.warn('some subnets route to an internet gateway and some do not; tasks get public IPs, and the ALB may not be reachable from every zone');
  }
  return { vpcId, subnetIds: subnets.map((s) => s.SubnetId!).sort(), assignPublicIp: assignPublicIp !== false };
}

/** true when every subnet's default route goes to an internet gateway (public, no NAT). */
async function routesToInternetGateway(aws: AwsClients, vpcId: string, subnetIds: string[]): Promise<boolean | 'mixed'> {
  const out = await aws.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
  const tables = out.RouteTables ?? [];
  const main = tables.find((t) => t.Associations?.some((a) => a.Main));
  const publicFlags = subnetIds.map((id) => {
    const table = tables.find((t) => t.Associations?.some((a) => a.SubnetId === id)) ?? main;
    return (table?.Routes ?? []).some((r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.GatewayId?.startsWith('igw-'));
  });
  if (publicFlags.every(Boolean)) return true;
  if (publicFlags.some(Boolean)) return 'mixed';
  return false;
}
