import { DescribeSubnetsCommand, DescribeVpcsCommand, type Subnet } from '@aws-sdk/client-ec2';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, type LoadBalancer } from '@aws-sdk/client-elastic-load-balancing-v2';
import { queryList } from '../classify.js';
import { isSuccess, withBody, type ActionRule, type RuleContext } from '../rule.js';
import { AwsError, escapeXml, xmlReply } from '../wire.js';
import { targetTasks } from './elbv2-targets.js';
import { motoTargetGroup } from './elbv2-lookup.js';
import { internetGatewayOf } from './ec2.js';

const validation = (message: string) => new AwsError('ValidationError', message);

/**
 * ≤32 alphanumerics or hyphens, no hyphen at either end (and, for a load balancer, not internal-…):
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html
 */
function checkElbName(kind: 'Load balancer' | 'Target group', name: string | undefined): void {
  if (!name) throw validation(`${kind} name is required`);
  if (name.length > 32) throw validation(`${kind} name '${name}' cannot be longer than '32' characters`);
  if (!/^[A-Za-z0-9-]+$/.test(name)) {
    throw validation(`${kind} name '${name}' can only contain characters that are alphanumeric characters or hyphens(-)`);
  }
  if (name.startsWith('-') || name.endsWith('-')) throw validation(`${kind} name '${name}' cannot begin or end with a hyphen`);
}

function checkRange(input: Record<string, string>, field: string, min: number, max: number): number | undefined {
  if (input[field] === undefined) return undefined;
  const value = Number(input[field]);
  const member = field.charAt(0).toLowerCase() + field.slice(1);
  if (value < min) throw validation(`1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`);
  if (value > max) throw validation(`1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
  return value;
}

/**
 * Health-check ranges and interval > timeout, on create and modify (a modify that names one of the two
 * is checked against the default of the other only on create):
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 */
function checkHealthCheck(input: Record<string, string>, creating: boolean): void {
  const interval = checkRange(input, 'HealthCheckIntervalSeconds', 5, 300) ?? (creating ? 30 : undefined);
  const timeout = checkRange(input, 'HealthCheckTimeoutSeconds', 2, 120) ?? (creating ? 5 : undefined);
  checkRange(input, 'HealthyThresholdCount', 2, 10);
  checkRange(input, 'UnhealthyThresholdCount', 2, 10);
  if (interval !== undefined && timeout !== undefined && interval <= timeout) throw validation('Health check interval must be greater than the timeout.');
}

const createTargetGroup: ActionRule = async (ctx) => {
  checkElbName('Target group', ctx.call.input.Name);
  checkHealthCheck(ctx.call.input, true);
  // A duplicate name is already refused by moto with DuplicateTargetGroupName.
  return ctx.forward();
};

const modifyTargetGroup: ActionRule = async (ctx) => {
  checkHealthCheck(ctx.call.input, false);
  return ctx.forward();
};

/**
 * deregistration_delay.timeout_seconds is 0–3600 (default 300):
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html#deregistration-delay
 */
const modifyTargetGroupAttributes: ActionRule = async (ctx) => {
  const input = ctx.call.input;
  for (const i of memberIndexes(input, 'Attributes')) {
    if (input[`Attributes.member.${i}.Key`] !== 'deregistration_delay.timeout_seconds') continue;
    const value = input[`Attributes.member.${i}.Value`];
    if (!/^\d+$/.test(value ?? '') || Number(value) > 3600) {
      throw validation(`'deregistration_delay.timeout_seconds' value '${value}' must be an integer between 0 and 3600`);
    }
  }
  return ctx.forward();
};

async function motoLoadBalancerNamed(ctx: RuleContext, name: string): Promise<LoadBalancer | undefined> {
  try {
    return (await ctx.moto.elb.send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers?.[0];
  } catch (err) {
    if ((err as Error).name === 'LoadBalancerNotFoundException') return undefined;
    throw err;
  }
}

function checkTwoZones(subnetIds: string[], subnets: Subnet[]): void {
  const message = 'At least two subnets in two different Availability Zones must be specified';
  if (subnetIds.length < 2) throw validation(message);
  const zones = new Set(subnets.map((s) => s.AvailabilityZone));
  if (zones.size < 2) throw validation(message);
  if (zones.size < subnets.length) throw validation('You can specify only one subnet per Availability Zone');
}

/** An internet-facing load balancer needs a VPC with an internet gateway: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html */
async function checkInternetGateway(ctx: RuleContext, subnets: Subnet[]): Promise<void> {
  const vpcId = subnets[0]?.VpcId;
  if (vpcId && !(await internetGatewayOf(ctx.moto, vpcId))) throw new AwsError('InvalidSubnet', `VPC ${vpcId} has no internet gateway`);
}

const createLoadBalancer: ActionRule = async (ctx) => {
  const input = ctx.call.input;
  checkElbName('Load balancer', input.Name);
  if (input.Name.startsWith('internal-')) throw validation(`Load balancer name '${input.Name}' cannot begin with 'internal-'`);
  if ((input.Type ?? 'application') === 'application') {
    const subnetIds = [...queryList(input, 'Subnets.member'), ...subnetMappingIds(input)];
    const subnets = subnetIds.length < 2 ? [] : (await ctx.moto.ec2.send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }))).Subnets ?? [];
    checkTwoZones(subnetIds, subnets);
    if ((input.Scheme ?? 'internet-facing') === 'internet-facing') await checkInternetGateway(ctx, subnets);
  }
  if (await motoLoadBalancerNamed(ctx, input.Name)) {
    throw new AwsError('DuplicateLoadBalancerName', `A load balancer with the name '${input.Name}' already exists`);
  }
  const reply = await ctx.forward();
  const arn = /<LoadBalancerArn>([^<]+)<\/LoadBalancerArn>/.exec(reply.body.toString('utf8'))?.[1];
  if (isSuccess(reply) && arn) ctx.state.loadBalancerCreatedAt.set(arn, ctx.state.now());
  return reply;
};

function subnetMappingIds(input: Record<string, string>): string[] {
  return Object.entries(input)
    .filter(([key]) => /^SubnetMappings\.member\.\d+\.SubnetId$/.test(key))
    .map(([, value]) => value);
}

/** moto turns an ALB active on the first Describe; the simulation keeps it provisioning for albProvisionMs. */
const describeLoadBalancers: ActionRule = async (ctx) => {
  const reply = await ctx.forward();
  if (!isSuccess(reply)) return reply;
  const xml = reply.body.toString('utf8').replace(
    /(<LoadBalancerArn>([^<]+)<\/LoadBalancerArn>[\s\S]*?<State>\s*<Code>)([^<]*)(<\/Code>)/g,
    (_match, head: string, arn: string, code: string, tail: string) => {
      const createdAt = ctx.state.loadBalancerCreatedAt.get(arn);
      const provisioning = createdAt !== undefined && !ctx.state.isOver(createdAt, 'albProvisionMs');
      return `${head}${provisioning ? 'provisioning' : code === 'provisioning' ? 'active' : code}${tail}`;
    },
  );
  return withBody(reply, xml);
};

const createListener: ActionRule = async (ctx) => {
  const { LoadBalancerArn, Port } = ctx.call.input;
  if (LoadBalancerArn && Port) {
    const listeners = await ctx.moto.elb
      .send(new DescribeListenersCommand({ LoadBalancerArn }))
      .then((out) => out.Listeners ?? [], () => []);
    if (listeners.some((l) => l.Port === Number(Port))) {
      throw new AwsError('DuplicateListener', 'A listener already exists on this port for this load balancer');
    }
  }
  return ctx.forward();
};

/** Indexes N of the `<prefix>.member.N.` keys of an awsQuery list of structures. */
function memberIndexes(input: Record<string, string>, prefix: string): string[] {
  const indexes = new Set<string>();
  for (const key of Object.keys(input)) {
    const m = new RegExp(`^${prefix}\\.member\\.(\\d+)\\.`).exec(key);
    if (m) indexes.add(m[1]);
  }
  return [...indexes];
}

/**
 * CreateRule / ModifyRule limits moto does not check (it does check a fixed response's StatusCode
 * and ContentType): at most three values per condition and five per rule
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html),
 * and a fixed response's MessageBody of at most 1024 characters
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_FixedResponseActionConfig.html).
 */
const checkRule: ActionRule = async (ctx) => {
  const input = ctx.call.input;
  let total = 0;
  for (const i of memberIndexes(input, 'Conditions')) {
    const base = `Conditions.member.${i}`;
    const values = Object.keys(input).filter((k) => k.startsWith(`${base}.`) && /\.Values\.member\.\d+$/.test(k)).length;
    if (values > 3) throw validation(`A condition can have at most '3' values; condition '${input[`${base}.Field`]}' has '${values}'`);
    total += values;
  }
  if (total > 5) throw validation(`A rule can have at most '5' condition values, but '${total}' were specified`);
  for (const i of memberIndexes(input, 'Actions')) {
    const body = input[`Actions.member.${i}.FixedResponseConfig.MessageBody`];
    if (body !== undefined && body.length > 1024) {
      throw validation(`1 validation error detected: Value at 'actions.${i}.member.fixedResponseConfig.messageBody' failed to satisfy constraint: Member must have length less than or equal to 1024`);
    }
  }
  return ctx.forward();
};

/** Remember which SGs the ALB's ENIs held: they linger after the delete (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html). */
const deleteLoadBalancer: ActionRule = async (ctx) => {
  const arn = ctx.call.input.LoadBalancerArn;
  const before = await ctx.moto.elb
    .send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }))
    .then((out) => out.LoadBalancers?.[0], () => undefined);
  const reply = await ctx.forward();
  if (isSuccess(reply) && before) {
    ctx.state.deletedLoadBalancers.push({ securityGroups: before.SecurityGroups ?? [], deletedAt: ctx.state.now() });
    ctx.state.loadBalancerCreatedAt.delete(arn);
  }
  return reply;
};

/** Targets of a target group wired to ECS services: one per running task (moto registers none). */
const describeTargetHealth: ActionRule = async (ctx) => {
  const arn = ctx.call.input.TargetGroupArn;
  const group = arn ? await motoTargetGroup(ctx, arn) : undefined;
  if (!group || !ctx.state.hasServiceOn(arn)) return ctx.forward();
  const vpc = (await ctx.moto.ec2.send(new DescribeVpcsCommand({ VpcIds: [group.VpcId!] }))).Vpcs?.[0];
  const members = targetTasks(ctx.state, arn, vpc?.CidrBlock ?? '10.0.0.0/16', group.LoadBalancerArns ?? [])
    .map((t) =>
      `<member><Target><Id>${t.ip}</Id><Port>${t.port}</Port></Target><HealthCheckPort>${t.port}</HealthCheckPort>` +
      `<TargetHealth><State>${t.state}</State>${t.reason ? `<Reason>${t.reason}</Reason><Description>${escapeXml(t.description ?? '')}</Description>` : ''}</TargetHealth></member>`,
    )
    .join('');
  return xmlReply(
    '<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeTargetHealthResult>' +
      `<TargetHealthDescriptions>${members}</TargetHealthDescriptions></DescribeTargetHealthResult>` +
      '<ResponseMetadata><RequestId>sim</RequestId></ResponseMetadata></DescribeTargetHealthResponse>',
  );
};

export const elbv2Rules: Record<string, ActionRule> = {
  CreateTargetGroup: createTargetGroup,
  ModifyTargetGroup: modifyTargetGroup,
  ModifyTargetGroupAttributes: modifyTargetGroupAttributes,
  CreateLoadBalancer: createLoadBalancer,
  DescribeLoadBalancers: describeLoadBalancers,
  CreateListener: createListener,
  CreateRule: checkRule,
  ModifyRule: checkRule,
  DeleteLoadBalancer: deleteLoadBalancer,
  DescribeTargetHealth: describeTargetHealth,
};
