import type { RouteTable, Subnet } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../aws/clients.js';
import { InputError } from '../errors.js';
import type { Network } from './spec.js';
import { sdk } from '../aws/sdk.js';

const { DescribeAvailabilityZonesCommand, DescribeRouteTablesCommand, DescribeSubnetsCommand, DescribeVpcsCommand } = sdk.ec2();

/** The stack's network, and the zone each of its subnets is in. */
export interface ResolvedNetwork extends Network {
  /** Subnet id → the name of its zone (DescribeSubnets' AvailabilityZone). */
  zones: Record<string, string>;
}

/**
 * Picks the VPC and subnets: the ones named by flags, or the default VPC with one default subnet
 * per availability zone. An ALB needs two zones and public subnets; anything else is an input error.
 */
export async function resolveNetwork(aws: AwsClients, vpcIdFlag: string | undefined, subnetIdsFlag: string[] | undefined): Promise<ResolvedNetwork> {
  let vpcId = vpcIdFlag;
  if (vpcId) {
    const out = await aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    if (!out.Vpcs?.length) throw new InputError(`--vpc-id: ${vpcId} does not exist in ${aws.settings.region}; pass a VPC id from this region`);
  } else {
    const out = await aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
    vpcId = out.Vpcs?.[0]?.VpcId;
    if (!vpcId) throw new InputError(`--vpc-id: there is no default VPC in ${aws.settings.region}; pass --vpc-id and --subnet-ids`);
  }

  // The subnets and the route tables both need only the VPC: ask for them at once.
  const [subnets, routeTables] = await Promise.all([
    findSubnets(aws, vpcId, vpcIdFlag, subnetIdsFlag),
    aws.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })).then((o) => o.RouteTables ?? []),
  ]);
  const zones = new Set(subnets.map((s) => s.AvailabilityZone));
  if (zones.size < 2) {
    throw new InputError(`--subnet-ids: the load balancer needs subnets in at least two availability zones, found ${zones.size} (${[...zones].join(', ') || 'none'}); pass subnets from two or more zones`);
  }
  if (subnetIdsFlag && zones.size < subnets.length) {
    throw new InputError('--subnet-ids: two of the subnets are in the same availability zone; an ALB takes one subnet per zone');
  }

  // The internet-facing ALB and the tasks share these subnets: they must be public. AWS would accept an ALB in a
  // private subnet of a VPC that has a gateway, and it would never answer; without one, fail after half the stack.
  const privateSubnets = subnetsWithoutInternetRoute(routeTables, subnets.map((s) => s.SubnetId!)).sort();
  if (privateSubnets.length) {
    const which = `${privateSubnets.join(', ')} ${privateSubnets.length === 1 ? 'has' : 'have'}`;
    throw new InputError(`--subnet-ids: ${which} no route to an internet gateway; the internet-facing load balancer and the tasks share the subnets, so pass public subnets`);
  }
  // Public subnets have no NAT: tasks need a public IP to pull images and to reach AMP.
  return {
    vpcId,
    subnetIds: subnets.map((s) => s.SubnetId!).sort(),
    assignPublicIp: true,
    zones: Object.fromEntries(subnets.map((s) => [s.SubnetId!, s.AvailabilityZone!])),
  };
}

/**
 * EFS puts a mount target in each of the tasks' subnets, and a Regional file system takes them in the Region's
 * Availability Zones ("you can create a mount target in each Availability Zone in an AWS Region",
 * https://docs.aws.amazon.com/efs/latest/ug/accessing-fs.html): a Local Zone or Wavelength Zone is not one.
 * DescribeAvailabilityZones tells them apart by ZoneType, availability-zone | local-zone | wavelength-zone
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AvailabilityZone.html); AllAvailabilityZones
 * lists the opted-in Local and Wavelength Zones too. One read-only call, so a subnet there is bad input
 * before any change rather than CreateMountTarget's UnsupportedAvailabilityZone after half the stack.
 */
export async function checkEfsZones(aws: AwsClients, network: ResolvedNetwork): Promise<void> {
  const zoneNames = [...new Set(network.subnetIds.map((id) => network.zones[id]))].sort();
  const out = await aws.ec2.send(new DescribeAvailabilityZonesCommand({ ZoneNames: zoneNames, AllAvailabilityZones: true }));
  const types = new Map((out.AvailabilityZones ?? []).map((z) => [z.ZoneName, z.ZoneType]));
  // A zone AWS does not type is left to CreateMountTarget's answer.
  const outside = network.subnetIds.filter((id) => (types.get(network.zones[id]) ?? 'availability-zone') !== 'availability-zone');
  if (!outside.length) return;
  const which = outside.map((id) => `${id} (${network.zones[id]}, a ${types.get(network.zones[id])})`).join(', ');
  throw new InputError(`--subnet-ids: ${which} ${outside.length === 1 ? 'is not in an Availability Zone' : 'are not in Availability Zones'} of ${aws.settings.region}, and Grafana's EFS file system takes mount targets only there; pass subnets in the Region's Availability Zones, or --grafana-storage ephemeral`);
}

async function findSubnets(aws: AwsClients, vpcId: string, vpcIdFlag: string | undefined, subnetIdsFlag: string[] | undefined): Promise<Subnet[]> {
  if (subnetIdsFlag) {
    const out = await aws.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: subnetIdsFlag }] }));
    const subnets = out.Subnets ?? [];
    const missing = subnetIdsFlag.filter((id) => !subnets.some((s) => s.SubnetId === id));
    if (missing.length) throw new InputError(`--subnet-ids: ${missing.join(', ')} not found in ${aws.settings.region}; pass subnets of the stack's VPC`);
    const foreign = subnets.filter((s) => s.VpcId !== vpcId);
    if (foreign.length) throw new InputError(`--subnet-ids: ${foreign.map((s) => s.SubnetId).join(', ')} ${foreign.length === 1 ? 'is' : 'are'} not in ${vpcId}; pass subnets of one VPC (and --vpc-id for a non-default VPC)`);
    return subnets;
  }
  const filters = [{ Name: 'vpc-id', Values: [vpcId] }];
  if (!vpcIdFlag) filters.push({ Name: 'default-for-az', Values: ['true'] });
  const subnets = (await aws.ec2.send(new DescribeSubnetsCommand({ Filters: filters }))).Subnets ?? [];
  // One subnet per zone: an ALB takes at most one per availability zone.
  const perZone = new Map<string, Subnet>();
  for (const s of [...subnets].sort((a, b) => a.SubnetId!.localeCompare(b.SubnetId!))) if (!perZone.has(s.AvailabilityZone!)) perZone.set(s.AvailabilityZone!, s);
  return [...perZone.values()];
}

/** The subnets whose default route (own table, else the VPC's main table) is not an internet gateway. */
function subnetsWithoutInternetRoute(tables: RouteTable[], subnetIds: string[]): string[] {
  const main = tables.find((t) => t.Associations?.some((a) => a.Main));
  return subnetIds.filter((id) => {
    const table = tables.find((t) => t.Associations?.some((a) => a.SubnetId === id)) ?? main;
    return !(table?.Routes ?? []).some((r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.GatewayId?.startsWith('igw-'));
  });
}
