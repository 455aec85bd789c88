import { execFileSync } from 'node:child_process';
import { AmpClient, CreateWorkspaceCommand, DeleteWorkspaceCommand, DescribeWorkspaceCommand, ListWorkspacesCommand } from '@aws-sdk/client-amp';
import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeLogGroupsCommand, GetLogEventsCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DescribeRouteTablesCommand,
  DescribeVpcsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DeleteServiceCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulation, type Simulation, type SimTiming } from '../src/sim/simulation.js';
import {
  allowFrom,
  createAlbWithListener,
  createIpTargetGroup,
  createSecurityGroup,
  CREDENTIALS,
  defaultNetwork,
  ECS_TRUST_POLICY,
  eventually,
  expectAwsError,
  fargateTaskDefinition,
  REGION,
  resetMoto,
  simClients,
  sleep,
  type SimClients,
} from './support/sim-fixtures.js';

/** Short phases so transitions are observable quickly; tests that must see a phase stretch it with setTiming. */
const FAST: SimTiming = {
  serviceStartMs: 500,
  targetHealthyMs: 300,
  albProvisionMs: 300,
  ampCreateMs: 300,
  ampDeleteMs: 300,
  roleWarmupMs: 300,
  drainMs: 300,
  eniLingerMs: 400,
  secretDeletionMs: 200,
  iamPropagationMs: 0,
  logGroupListingMs: 0,
};
const LONG = 60_000;

let counter = 0;
/** A fresh resource name, so tests sharing one moto do not collide. */
const unique = (prefix: string) => `${prefix}-${++counter}`;

describe('sim: validation rules and wire formats', () => {
  let sim: Simulation;
  let c: SimClients;
  let net: Awaited<ReturnType<typeof defaultNetwork>>;

  beforeAll(async () => {
    sim = await startSimulation({ timing: FAST });
    c = simClients(sim.endpoint);
    net = await defaultNetwork(c);
  });
  afterAll(async () => {
    await sim?.stop();
  });
  // Resetting moto costs about a second per test, so tests share state and use their own names.
  beforeEach(() => sim.setTiming(FAST));

  it('listens on loopback and keeps raw moto reachable separately', () => {
    expect(sim.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.motoEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.endpoint).not.toBe(sim.motoEndpoint);
    expect(sim.region).toBe('us-east-1');
  });

  describe('RegisterTaskDefinition on Fargate (ClientException)', () => {
    const roleArn = 'arn:aws:iam::123456789012:role/exec';
    const base = () => fargateTaskDefinition('web', roleArn, '/fp/app');
    const cases: Array<[string, (td: any) => void, RegExp]> = [
      ['missing task cpu', (td) => delete td.cpu, /Fargate requires that 'cpu' be defined at the task level/],
      ['missing task memory', (td) => delete td.memory, /Fargate requires that 'memory' be defined at the task level/],
      ['unknown cpu value', (td) => { td.cpu = '300'; }, /Invalid 'cpu' setting for task/],
      ['cpu/memory pair not in the table', (td) => { td.memory = '4096'; }, /No Fargate configuration exists for given values: 256 CPU, 4096 memory/],
      ['bridge network mode', (td) => { td.networkMode = 'bridge'; }, /Fargate only supports network mode 'awsvpc'/],
      ['network mode omitted', (td) => delete td.networkMode, /Fargate only supports network mode 'awsvpc'/],
      ['bogus cpuArchitecture', (td) => { td.runtimePlatform.cpuArchitecture = 'ARM'; }, /cpuArchitecture.*X86_64, ARM64/],
      ['awslogs without executionRoleArn', (td) => delete td.executionRoleArn, /execution role ARN to support log driver awslogs/],
      ['secrets without executionRoleArn', (td) => {
        delete td.executionRoleArn;
        delete td.containerDefinitions[0].logConfiguration;
        td.containerDefinitions[0].secrets = [{ name: 'PW', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pw-AbCdEf' }];
      }, /must also specify a value for 'executionRoleArn'/],
      ['hostPort differs from containerPort', (td) => { td.containerDefinitions[0].portMappings = [{ containerPort: 8080, hostPort: 80 }]; }, /host ports and container ports in port mappings must match/],
      ['no essential container', (td) => { td.containerDefinitions[0].essential = false; }, /doesn't have any essential container/],
      ['health check interval out of range', (td) => {
        td.containerDefinitions[0].healthCheck = { command: ['CMD-SHELL', 'true'], interval: 1 };
      }, /interval 1 .*between 5 and 300/],
      ['health check timeout out of range', (td) => {
        td.containerDefinitions[0].healthCheck = { command: ['CMD-SHELL', 'true'], timeout: 61 };
      }, /timeout 61 .*between 2 and 60/],
      ['health check retries out of range', (td) => {
        td.containerDefinitions[0].healthCheck = { command: ['CMD-SHELL', 'true'], retries: 11 };
      }, /retries 11 .*between 1 and 10/],
      ['restart policy period under 60 s', (td) => { td.containerDefinitions[0].restartPolicy = { enabled: true, restartAttemptPeriod: 59 }; }, /restartAttemptPeriod 59 must be between 60 and 1800/],
      ['restart policy period over 1800 s', (td) => { td.containerDefinitions[0].restartPolicy = { enabled: true, restartAttemptPeriod: 1801 }; }, /restartAttemptPeriod 1801 must be between 60 and 1800/],
      ['restart policy without enabled', (td) => { td.containerDefinitions[0].restartPolicy = { restartAttemptPeriod: 300 }; }, /'enabled' is required/],
      ['restart policy with 51 ignored exit codes', (td) => {
        td.containerDefinitions[0].restartPolicy = { enabled: true, ignoredExitCodes: Array.from({ length: 51 }, (_, i) => i) };
      }, /at most 50 ignoredExitCodes/],
    ];
    for (const [name, mutate, message] of cases) {
      it(`rejects ${name}`, async () => {
        const td = base();
        mutate(td);
        await expectAwsError(c.ecs.send(new RegisterTaskDefinitionCommand(td)), 'ClientException', message);
      });
    }

    it('accepts valid definitions, including "1 vCPU"/"2GB" strings and every table row edge', async () => {
      for (const [cpu, memory] of [['256', '512'], ['1 vCPU', '2GB'], ['4096', '30720'], ['16384', '122880']]) {
        const out = await c.ecs.send(new RegisterTaskDefinitionCommand({ ...base(), cpu, memory }));
        expect(out.taskDefinition?.status).toBe('ACTIVE');
      }
    });

    it('keeps a valid restart policy, on an essential container too, in DescribeTaskDefinition', async () => {
      const td = base();
      td.family = 'restarts';
      td.containerDefinitions[0].restartPolicy = { enabled: true, restartAttemptPeriod: 60, ignoredExitCodes: [0] };
      await c.ecs.send(new RegisterTaskDefinitionCommand(td));
      const out = await c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'restarts' }));
      expect(out.taskDefinition!.containerDefinitions![0].restartPolicy).toEqual({ enabled: true, restartAttemptPeriod: 60, ignoredExitCodes: [0] });
    });

    it('records the rejected call with its status', async () => {
      sim.clearCalls();
      const td = base();
      td.memory = '4096';
      await c.ecs.send(new RegisterTaskDefinitionCommand(td)).catch(() => undefined);
      expect(sim.calls()).toEqual([
        expect.objectContaining({ service: 'ecs', action: 'RegisterTaskDefinition', mutating: true, status: 400 }),
      ]);
      expect(sim.calls()[0].fault).toBeUndefined();
    });
  });

  describe('ELBv2 (awsQuery XML errors)', () => {
    const tg = (overrides: Record<string, unknown>) =>
      c.elb.send(new CreateTargetGroupCommand({ Name: 'tg-rules', Protocol: 'HTTP', Port: 8080, VpcId: net.vpcId, TargetType: 'ip', ...overrides }));

    it('validates target group names and health-check settings', async () => {
      await expectAwsError(tg({ Name: 'x'.repeat(33) }), 'ValidationError', /cannot be longer than '32'/);
      await expectAwsError(tg({ Name: 'bad_name' }), 'ValidationError', /alphanumeric characters or hyphens/);
      await expectAwsError(tg({ HealthCheckIntervalSeconds: 600 }), 'ValidationError', /less than or equal to 300/);
      await expectAwsError(tg({ HealthCheckIntervalSeconds: 4 }), 'ValidationError', /greater than or equal to 5/);
      await expectAwsError(tg({ HealthCheckTimeoutSeconds: 121, HealthCheckIntervalSeconds: 300 }), 'ValidationError', /less than or equal to 120/);
      await expectAwsError(tg({ HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 10 }), 'ValidationError', /interval must be greater than the timeout/);
      await expectAwsError(tg({ HealthyThresholdCount: 11 }), 'ValidationError', /less than or equal to 10/);
      await expectAwsError(tg({ UnhealthyThresholdCount: 1 }), 'ValidationError', /greater than or equal to 2/);
      const created = await tg({ HealthCheckIntervalSeconds: 30, HealthCheckTimeoutSeconds: 5, HealthyThresholdCount: 2 });
      expect(created.TargetGroups?.[0].TargetType).toBe('ip');
      const err = await expectAwsError(tg({}), 'DuplicateTargetGroupNameException');
      expect(err.Code ?? err.Error?.Code).toBe('DuplicateTargetGroupName');
    });

    it('refuses a security group name starting with sg- (moto takes it)', async () => {
      const err = await expectAwsError(createSecurityGroup(c, net.vpcId, 'sg-shop-alb'), 'InvalidParameterValue', /Group names may not be in the format sg-\*/);
      expect(err.message).toBe('Value (sg-shop-alb) for parameter GroupName is invalid. Group names may not be in the format sg-*.');
      const raw = simClients(sim.motoEndpoint);
      expect(await createSecurityGroup(raw, net.vpcId, unique('sg-raw'))).toMatch(/^sg-/);
      expect(await createSecurityGroup(c, net.vpcId, unique('shop-sg'))).toMatch(/^sg-/);
    });

    it('validates load balancer names and requires two subnets in two AZs', async () => {
      const sg = await createSecurityGroup(c, net.vpcId, unique('alb'));
      const two = net.subnets.slice(0, 2).map((s) => s.SubnetId!);
      const lb = (overrides: Record<string, unknown>) =>
        c.elb.send(new CreateLoadBalancerCommand({ Name: 'fp-alb', Subnets: two, SecurityGroups: [sg], ...overrides }));
      await expectAwsError(lb({ Name: 'a'.repeat(33) }), 'ValidationError', /cannot be longer than '32'/);
      await expectAwsError(lb({ Name: 'internal-web' }), 'ValidationError', /cannot begin with 'internal-'/);
      await expectAwsError(lb({ Name: '-web' }), 'ValidationError', /hyphen/);
      await expectAwsError(lb({ Subnets: [two[0]] }), 'ValidationError', /two subnets in two different Availability Zones/);
      const sameAz = await c.ec2.send(new CreateSubnetCommand({
        VpcId: net.vpcId, CidrBlock: '172.31.250.0/24', AvailabilityZone: net.subnets[0].AvailabilityZone,
      }));
      await expectAwsError(lb({ Subnets: [two[0], sameAz.Subnet!.SubnetId!] }), 'ValidationError', /two different Availability Zones/);
      const created = await lb({});
      expect(created.LoadBalancers?.[0].State?.Code).toBe('provisioning');
      const err = await expectAwsError(lb({}), 'DuplicateLoadBalancerNameException');
      expect(err.Code ?? err.Error?.Code).toBe('DuplicateLoadBalancerName');
    });

    it('refuses an internet-facing ALB in a VPC without an internet gateway; an internal one is fine', async () => {
      const vpcId = (await c.ec2.send(new CreateVpcCommand({ CidrBlock: '10.77.0.0/16' }))).Vpc!.VpcId!;
      const subnets = await Promise.all(
        net.subnets.slice(0, 2).map(async (s, i) =>
          (await c.ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.77.${i}.0/24`, AvailabilityZone: s.AvailabilityZone }))).Subnet!.SubnetId!),
      );
      const sg = await createSecurityGroup(c, vpcId, unique('alb'));
      const lb = (Name: string, Scheme?: 'internal' | 'internet-facing') =>
        c.elb.send(new CreateLoadBalancerCommand({ Name, Subnets: subnets, SecurityGroups: [sg], Scheme }));
      await expectAwsError(lb('no-gateway'), 'InvalidSubnetException', `VPC ${vpcId} has no internet gateway`);
      await expectAwsError(lb('no-gateway', 'internet-facing'), 'InvalidSubnetException');
      expect((await lb('private-alb', 'internal')).LoadBalancers?.[0].Scheme).toBe('internal');
    });

    it('keeps a new ALB provisioning for albProvisionMs, then active', async () => {
      sim.setTiming({ albProvisionMs: LONG });
      const sg = await createSecurityGroup(c, net.vpcId, unique('alb'));
      const tgArn = await createIpTargetGroup(c, net.vpcId, unique('tg'));
      const { loadBalancerArn } = await createAlbWithListener(c, unique('alb'), net.subnets.map((s) => s.SubnetId!), sg, tgArn);
      const describe = async () =>
        (await c.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [loadBalancerArn] }))).LoadBalancers![0].State?.Code;
      expect(await describe()).toBe('provisioning');
      expect(await describe()).toBe('provisioning'); // moto alone would flip it on the first Describe
      sim.setTiming({ albProvisionMs: 200 });
      await eventually(async () => (await describe()) === 'active', 10_000, 'ALB active');
    });

    it('fixed-response rules: MessageBody ≤ 1024, at most 3 values per condition and 5 per rule; kept as sent', async () => {
      const sg = await createSecurityGroup(c, net.vpcId, unique('alb'));
      const tgArn = await createIpTargetGroup(c, net.vpcId, unique('tg'));
      const { loadBalancerArn } = await createAlbWithListener(c, unique('alb'), net.subnets.map((s) => s.SubnetId!), sg, tgArn);
      const listenerArn = (await c.elb.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }))).Listeners![0].ListenerArn!;
      const notFound = (MessageBody = 'Not Found') => ({ Type: 'fixed-response' as const, FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody } });
      const paths = (...Values: string[]) => ({ Field: 'path-pattern', PathPatternConfig: { Values } });
      const rule = (Priority: number, Conditions: object[], action = notFound()) =>
        c.elb.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority, Conditions, Actions: [action] }));
      await expectAwsError(rule(1, [paths('/m')], notFound('x'.repeat(1025))), 'ValidationError', /messageBody.*1024/);
      await expectAwsError(rule(1, [paths('/a', '/b', '/c', '/d')]), 'ValidationError', /at most '3' values/);
      await expectAwsError(rule(1, [paths('/a', '/b', '/c'), { Field: 'host-header', HostHeaderConfig: { Values: ['a.example.com', 'b.example.com', 'c.example.com'] } }]),
        'ValidationError', /at most '5' condition values/);
      // moto's own check, left to it.
      await expectAwsError(rule(1, [paths('/m')], { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '301' } } as any), 'ValidationError', /statusCode/);
      const created = (await rule(1, [paths('/metrics', '/metrics/*')], notFound('x'.repeat(1024)))).Rules![0];
      const [read] = (await c.elb.send(new DescribeRulesCommand({ RuleArns: [created.RuleArn!] }))).Rules!;
      expect(read.Actions).toEqual([notFound('x'.repeat(1024))]);
      expect(read.Conditions).toEqual([paths('/metrics', '/metrics/*')]);
      await expectAwsError(c.elb.send(new ModifyRuleCommand({ RuleArn: created.RuleArn, Actions: [notFound('x'.repeat(1025))] })), 'ValidationError', /1024/);
    });

    it('refuses a second listener on the same port', async () => {
      const sg = await createSecurityGroup(c, net.vpcId, unique('alb'));
      const tgArn = await createIpTargetGroup(c, net.vpcId, unique('tg'));
      const { loadBalancerArn } = await createAlbWithListener(c, unique('alb'), net.subnets.map((s) => s.SubnetId!), sg, tgArn);
      await expectAwsError(
        c.elb.send(new CreateListenerCommand({ LoadBalancerArn: loadBalancerArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] })),
        'DuplicateListenerException',
      );
      const other = await c.elb.send(new CreateListenerCommand({ LoadBalancerArn: loadBalancerArn, Protocol: 'HTTP', Port: 8081, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] }));
      expect(other.Listeners?.[0].Port).toBe(8081);
    });
  });

  describe('IAM CreateRole (awsQuery)', () => {
    it('rejects long or badly named roles and malformed trust policies', async () => {
      await expectAwsError(c.iam.send(new CreateRoleCommand({ RoleName: 'r'.repeat(65), AssumeRolePolicyDocument: ECS_TRUST_POLICY })), 'ValidationError', /length less than or equal to 64/);
      await expectAwsError(c.iam.send(new CreateRoleCommand({ RoleName: 'bad name!', AssumeRolePolicyDocument: ECS_TRUST_POLICY })), 'ValidationError', /regular expression pattern/);
      const err = await expectAwsError(c.iam.send(new CreateRoleCommand({ RoleName: 'ok', AssumeRolePolicyDocument: '{"Version": ' })), 'MalformedPolicyDocumentException', /invalid Json/);
      expect(err.$metadata.httpStatusCode).toBe(400);
      const ok = await c.iam.send(new CreateRoleCommand({ RoleName: 'fp-exec.role@x', AssumeRolePolicyDocument: ECS_TRUST_POLICY }));
      expect(ok.Role?.Arn).toContain(':role/fp-exec.role@x');
    });
  });

  describe('CloudWatch Logs PutRetentionPolicy (awsJson)', () => {
    it('accepts only the CloudWatch retention enum', async () => {
      await c.logs.send(new CreateLogGroupCommand({ logGroupName: '/fp/app' }));
      for (const days of [0, 8, 10, 4000]) {
        await expectAwsError(c.logs.send(new PutRetentionPolicyCommand({ logGroupName: '/fp/app', retentionInDays: days })), 'InvalidParameterException', new RegExp(`Value '${days}' at 'retentionInDays'`));
      }
      await c.logs.send(new PutRetentionPolicyCommand({ logGroupName: '/fp/app', retentionInDays: 14 }));
      const group = (await c.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/fp/app' }))).logGroups![0];
      expect(group.retentionInDays).toBe(14);
    });
  });

  describe('AMP workspace lifecycle (restJson)', () => {
    it('goes CREATING → ACTIVE, refuses deletion while CREATING, then DELETING → gone', async () => {
      sim.setTiming({ ampCreateMs: LONG });
      const created = await c.amp.send(new CreateWorkspaceCommand({ alias: 'fp' }));
      expect(created.status?.statusCode).toBe('CREATING');
      const id = created.workspaceId!;
      const status = async () => (await c.amp.send(new DescribeWorkspaceCommand({ workspaceId: id }))).workspace?.status?.statusCode;
      expect(await status()).toBe('CREATING');
      const listed = await c.amp.send(new ListWorkspacesCommand({ alias: 'fp' }));
      expect(listed.workspaces?.map((w) => w.status?.statusCode)).toEqual(['CREATING']);
      const conflict = await expectAwsError(c.amp.send(new DeleteWorkspaceCommand({ workspaceId: id })), 'ConflictException');
      expect(conflict.$metadata.httpStatusCode).toBe(409);

      sim.setTiming({ ampCreateMs: 100, ampDeleteMs: LONG });
      await eventually(async () => (await status()) === 'ACTIVE', 10_000, 'workspace ACTIVE');
      await c.amp.send(new DeleteWorkspaceCommand({ workspaceId: id }));
      expect(await status()).toBe('DELETING');
      await expectAwsError(c.amp.send(new DeleteWorkspaceCommand({ workspaceId: id })), 'ConflictException');

      sim.setTiming({ ampDeleteMs: 100 });
      const gone = await eventually(
        () => c.amp.send(new DescribeWorkspaceCommand({ workspaceId: id })).then(() => undefined, (e) => e),
        10_000, 'workspace deleted',
      );
      expect(gone.name).toBe('ResourceNotFoundException');
      expect(gone.$metadata.httpStatusCode).toBe(404);
      const remaining = (await c.amp.send(new ListWorkspacesCommand({}))).workspaces ?? [];
      expect(remaining.map((w) => w.workspaceId)).not.toContain(id);
    });

    it('ListWorkspaces filters alias by prefix, pages at maxResults (default 100) with nextToken, and lists DELETING ones', async () => {
      const raw = simClients(sim.motoEndpoint);
      // Straight into moto: 102 aliased pager-…, one exactly pager, one that shares no prefix.
      for (let i = 0; i < 102; i++) await raw.amp.send(new CreateWorkspaceCommand({ alias: `pager-${i}` }));
      const exact = (await c.amp.send(new CreateWorkspaceCommand({ alias: 'pager' }))).workspaceId!;
      await raw.amp.send(new CreateWorkspaceCommand({ alias: 'other-pager' }));
      // moto itself matches the alias exactly.
      expect((await raw.amp.send(new ListWorkspacesCommand({ alias: 'pager' }))).workspaces?.map((w) => w.workspaceId)).toEqual([exact]);

      const first = await c.amp.send(new ListWorkspacesCommand({ alias: 'pager' }));
      expect(first.workspaces).toHaveLength(100);
      expect(first.nextToken).toBeTruthy();
      const second = await c.amp.send(new ListWorkspacesCommand({ alias: 'pager', nextToken: first.nextToken }));
      expect(second.workspaces).toHaveLength(3);
      expect(second.nextToken).toBeUndefined();
      const all = [...first.workspaces!, ...second.workspaces!];
      expect(new Set(all.map((w) => w.workspaceId)).size).toBe(103);
      expect(all.every((w) => w.alias!.startsWith('pager'))).toBe(true);
      // Created last, the one aliased exactly `pager` is on the second page.
      expect(second.workspaces!.map((w) => w.workspaceId)).toContain(exact);

      const small = await c.amp.send(new ListWorkspacesCommand({ alias: 'pager-10', maxResults: 2 }));
      expect(small.workspaces?.map((w) => w.alias)).toEqual(['pager-10', 'pager-100']);
      const rest = await c.amp.send(new ListWorkspacesCommand({ alias: 'pager-10', maxResults: 2, nextToken: small.nextToken }));
      expect(rest.workspaces?.map((w) => w.alias)).toEqual(['pager-101']);
      await expectAwsError(c.amp.send(new ListWorkspacesCommand({ maxResults: 1001 })), 'ValidationException');

      sim.setTiming({ ampDeleteMs: LONG });
      await eventually(async () => (await c.amp.send(new DescribeWorkspaceCommand({ workspaceId: exact }))).workspace?.status?.statusCode === 'ACTIVE', 10_000, 'workspace ACTIVE');
      await c.amp.send(new DeleteWorkspaceCommand({ workspaceId: exact }));
      const listed = (await c.amp.send(new ListWorkspacesCommand({ alias: 'pager', nextToken: first.nextToken }))).workspaces!;
      expect(listed.find((w) => w.workspaceId === exact)?.status?.statusCode).toBe('DELETING');
    });

    it('DescribeWorkspace gives the endpoint host a test sets, to show it is read rather than built', async () => {
      const id = (await c.amp.send(new CreateWorkspaceCommand({ alias: 'elsewhere' }))).workspaceId!;
      const endpoint = async () => (await c.amp.send(new DescribeWorkspaceCommand({ workspaceId: id }))).workspace?.prometheusEndpoint;
      expect(await endpoint()).toBe(`https://aps-workspaces.${REGION}.amazonaws.com/workspaces/${id}/`);
      sim.setAmpEndpointHost('aps.example.test');
      try {
        expect(await endpoint()).toBe(`https://aps.example.test/workspaces/${id}/`);
      } finally {
        sim.setAmpEndpointHost(undefined);
      }
    });

    it('answers ResourceNotFoundException when deleting a workspace that does not exist', async () => {
      await expectAwsError(c.amp.send(new DeleteWorkspaceCommand({ workspaceId: 'ws-00000000-0000-0000-0000-000000000000' })), 'ResourceNotFoundException');
    });
  });

  it("gives the default VPC the internet gateway AWS's has (moto's has none), again after a reset", async () => {
    const defaultRoute = async () => {
      const { vpcId } = await defaultNetwork(c);
      const tables = (await c.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).RouteTables!;
      const main = tables.find((t) => t.Associations?.some((a) => a.Main))!;
      return main.Routes!.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')?.GatewayId;
    };
    expect(await defaultRoute()).toMatch(/^igw-/);
    const raw = simClients(sim.motoEndpoint);
    await resetMoto(sim);
    // Straight to moto after the reset: the bare default VPC, no route out.
    const { vpcId } = await defaultNetwork(raw);
    const bare = (await raw.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).RouteTables!;
    expect(bare.flatMap((t) => t.Routes ?? []).map((r) => r.GatewayId)).toEqual(['local']);
    expect(await defaultRoute()).toMatch(/^igw-/);
  });

  it('a moto reset sent through the proxy also clears what the simulation remembers', async () => {
    sim.setTiming({ ampCreateMs: LONG });
    await c.amp.send(new CreateWorkspaceCommand({ alias: 'before-reset' }));
    await resetMoto(sim);
    expect((await c.amp.send(new ListWorkspacesCommand({}))).workspaces).toEqual([]);
    const after = await c.amp.send(new CreateWorkspaceCommand({ alias: 'after-reset' }));
    expect(after.status?.statusCode).toBe('CREATING');
  });
});

describe('sim: ECS services, target health and teardown order', () => {
  let sim: Simulation;
  let c: SimClients;
  let net: Awaited<ReturnType<typeof defaultNetwork>>;
  let execRoleArn: string;
  let albSg: string;
  let taskSg: string;
  let tgArn: string;
  let loadBalancerArn: string;
  let taskDefinitionArn: string;
  const cluster = 'fp-cluster';
  const service = 'fp-app';

  const describeService = async (name = service): Promise<Service> =>
    (await c.ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services![0];
  const serviceInput = (overrides: Record<string, unknown> = {}): any => ({
    cluster,
    serviceName: service,
    taskDefinition: taskDefinitionArn,
    desiredCount: 2,
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: net.subnets.map((s) => s.SubnetId!), securityGroups: [taskSg], assignPublicIp: 'ENABLED' } },
    loadBalancers: [{ targetGroupArn: tgArn, containerName: 'app', containerPort: 8080 }],
    healthCheckGracePeriodSeconds: 60,
    ...overrides,
  });

  beforeAll(async () => {
    sim = await startSimulation({ timing: FAST });
    c = simClients(sim.endpoint);
    net = await defaultNetwork(c);
    execRoleArn = (await c.iam.send(new CreateRoleCommand({ RoleName: 'fp-exec', AssumeRolePolicyDocument: ECS_TRUST_POLICY }))).Role!.Arn!;
    await c.logs.send(new CreateLogGroupCommand({ logGroupName: '/fp/app' }));
    albSg = await createSecurityGroup(c, net.vpcId, 'fp-alb');
    taskSg = await createSecurityGroup(c, net.vpcId, 'fp-task');
    await allowFrom(c, taskSg, albSg, 8080);
    tgArn = await createIpTargetGroup(c, net.vpcId, 'fp-app');
    ({ loadBalancerArn } = await createAlbWithListener(c, 'fp-alb', net.subnets.map((s) => s.SubnetId!), albSg, tgArn));
    await c.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    taskDefinitionArn = (await c.ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('fp-app', execRoleArn, '/fp/app')))).taskDefinition!.taskDefinitionArn!;
  });
  afterAll(async () => {
    await sim?.stop();
  });
  beforeEach(() => sim.setTiming(FAST));

  it('a cluster created without tags has none, and the tagging API still answers (moto would fail with HTTP 500)', async () => {
    const out = await c.ecs.send(new DescribeClustersCommand({ clusters: [cluster], include: ['TAGS'] }));
    expect(out.clusters?.[0]?.tags ?? []).toEqual([]);
    const tagging = new ResourceGroupsTaggingAPIClient({ endpoint: sim.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    const found = await tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: 'fargate-prom:stack', Values: ['nobody'] }] }));
    expect(found.ResourceTagMappingList).toEqual([]);
  });

  it('refuses CreateService the way ECS does', async () => {
    const orphanTg = await createIpTargetGroup(c, net.vpcId, 'fp-orphan');
    await expectAwsError(
      c.ecs.send(new CreateServiceCommand(serviceInput({ loadBalancers: [{ targetGroupArn: orphanTg, containerName: 'app', containerPort: 8080 }] }))),
      'InvalidParameterException', `The target group with targetGroupArn ${orphanTg} does not have an associated load balancer.`,
    );
    const instanceTg = (await c.elb.send(new CreateTargetGroupCommand({ Name: 'fp-instance', Protocol: 'HTTP', Port: 8080, VpcId: net.vpcId }))).TargetGroups![0].TargetGroupArn!;
    await expectAwsError(
      c.ecs.send(new CreateServiceCommand(serviceInput({ loadBalancers: [{ targetGroupArn: instanceTg, containerName: 'app', containerPort: 8080 }] }))),
      'InvalidParameterException', /has target type instance, which is incompatible with the awsvpc network mode/,
    );
    await expectAwsError(
      c.ecs.send(new CreateServiceCommand(serviceInput({ networkConfiguration: undefined }))),
      'InvalidParameterException', /Network Configuration must be provided when networkMode 'awsvpc' is specified/,
    );
    await expectAwsError(
      c.ecs.send(new CreateServiceCommand(serviceInput({ networkConfiguration: { awsvpcConfiguration: { subnets: [net.subnets[0].SubnetId!] } } }))),
      'InvalidParameterException', /securityGroups/,
    );
    await expectAwsError(
      c.ecs.send(new CreateServiceCommand(serviceInput({ loadBalancers: [] }))),
      'InvalidParameterException', /Health check grace period is only valid for services configured to use load balancers/,
    );
    await expectAwsError(
      c.ecs.send(new CreateServiceCommand(serviceInput({ loadBalancers: [{ targetGroupArn: tgArn, containerName: 'nope', containerPort: 8080 }] }))),
      'InvalidParameterException', /container nope does not exist/,
    );
    await expectAwsError(c.ecs.send(new CreateServiceCommand(serviceInput({ cluster: 'no-such-cluster' }))), 'ClusterNotFoundException');
    expect((await c.ecs.send(new ListServicesCommand({ cluster }))).serviceArns).toEqual([]);
  });

  it('refuses a task definition role that IAM has not propagated yet (roleWarmupMs)', async () => {
    sim.setTiming({ roleWarmupMs: LONG });
    const freshRole = (await c.iam.send(new CreateRoleCommand({ RoleName: 'fp-fresh', AssumeRolePolicyDocument: ECS_TRUST_POLICY }))).Role!.Arn!;
    const td = (await c.ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('fp-fresh', freshRole, '/fp/app')))).taskDefinition!.taskDefinitionArn!;
    const input = serviceInput({ serviceName: 'fp-fresh', taskDefinition: td, loadBalancers: [], healthCheckGracePeriodSeconds: undefined, desiredCount: 0 });
    await expectAwsError(c.ecs.send(new CreateServiceCommand(input)), 'InvalidParameterException', `ECS was unable to assume the role '${freshRole}'`);
    sim.setTiming({ roleWarmupMs: 50 });
    await sleep(100);
    const created = await c.ecs.send(new CreateServiceCommand(input));
    expect(created.service?.status).toBe('ACTIVE');
    await c.ecs.send(new DeleteServiceCommand({ cluster, service: 'fp-fresh' }));
  });

  it('starts a service: pending, then running = desired with rollout COMPLETED; targets initial, then healthy', async () => {
    sim.setTiming({ serviceStartMs: LONG });
    const created = (await c.ecs.send(new CreateServiceCommand(serviceInput()))).service!;
    expect(created).toMatchObject({ status: 'ACTIVE', desiredCount: 2, runningCount: 0, pendingCount: 2 });
    const pending = await describeService();
    expect(pending).toMatchObject({ runningCount: 0, pendingCount: 2 });
    expect(pending.deployments).toHaveLength(1);
    expect(pending.deployments![0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'IN_PROGRESS' });
    expect((await c.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions).toEqual([]);
    await expectAwsError(c.ecs.send(new CreateServiceCommand(serviceInput())), 'InvalidParameterException', 'Creation of service was not idempotent.');

    sim.setTiming({ serviceStartMs: 50, targetHealthyMs: LONG });
    const running = await eventually(async () => {
      const s = await describeService();
      return s.runningCount === 2 && s;
    }, 10_000, 'service running');
    expect(running).toMatchObject({ pendingCount: 0, taskDefinition: taskDefinitionArn });
    expect(running.deployments).toHaveLength(1);
    expect(running.deployments![0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 2 });
    const initial = (await c.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions!;
    expect(initial).toHaveLength(2);
    const prefix = net.cidr.split('.').slice(0, 2).join('.');
    for (const target of initial) {
      expect(target.Target?.Id).toMatch(new RegExp(`^${prefix.replace('.', '\\.')}\\.\\d+\\.\\d+$`));
      expect(target.Target?.Port).toBe(8080);
      expect(target.TargetHealth).toMatchObject({ State: 'initial', Reason: 'Elb.RegistrationInProgress' });
    }
    expect(new Set(initial.map((t) => t.Target?.Id)).size).toBe(2);

    sim.setTiming({ targetHealthyMs: 50 });
    await eventually(async () => {
      const targets = (await c.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions!;
      return targets.length === 2 && targets.every((t) => t.TargetHealth?.State === 'healthy');
    }, 10_000, 'targets healthy');
    expect((await describeService()).events?.[0]?.message).toBe(`(service ${service}) has reached a steady state.`);
  });

  it('rolls out a new task definition with a PRIMARY and an ACTIVE deployment until done', async () => {
    const v2 = (await c.ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('fp-app', execRoleArn, '/fp/app')))).taskDefinition!.taskDefinitionArn!;
    sim.setTiming({ serviceStartMs: LONG });
    const updated = (await c.ecs.send(new UpdateServiceCommand({ cluster, service, taskDefinition: v2 }))).service!;
    expect(updated.deployments?.map((d) => [d.status, d.taskDefinition, d.rolloutState])).toEqual([
      ['PRIMARY', v2, 'IN_PROGRESS'],
      ['ACTIVE', taskDefinitionArn, 'COMPLETED'],
    ]);
    expect(updated).toMatchObject({ runningCount: 2, pendingCount: 2, taskDefinition: v2 });
    expect((await describeService()).deployments).toHaveLength(2);
    sim.setTiming({ serviceStartMs: 50 });
    const done = await eventually(async () => {
      const s = await describeService();
      return s.deployments?.length === 1 && s;
    }, 10_000, 'rollout done');
    expect(done.deployments![0]).toMatchObject({ status: 'PRIMARY', taskDefinition: v2, rolloutState: 'COMPLETED', runningCount: 2 });
    expect(done.runningCount).toBe(2);
  });

  it('lists and describes the RUNNING tasks DescribeServices counts; ids stay until the tasks are replaced', async () => {
    const running = async () => (await c.ecs.send(new ListTasksCommand({ cluster, serviceName: service }))).taskArns ?? [];
    const ids = (arns: string[]) => arns.map((a) => a.split('/').pop());
    const settled = async (count: number) => eventually(async () => {
      const s = await describeService();
      return s.deployments?.length === 1 && s.runningCount === count && s.pendingCount === 0 && s;
    }, 10_000, `${count} tasks running`);

    const before = await settled(2);
    const arns = await running();
    expect(arns).toHaveLength(2);
    for (const arn of arns) expect(arn).toMatch(/^arn:aws:ecs:us-east-1:\d{12}:task\/fp-cluster\/[0-9a-f]{32}$/);
    expect(await running()).toEqual(arns);
    expect((await c.ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'RUNNING' }))).taskArns).toEqual(arns);
    expect((await c.ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'STOPPED' }))).taskArns).toEqual([]);
    const tasks = (await c.ecs.send(new DescribeTasksCommand({ cluster, tasks: [arns[0], ids(arns)[1]!] }))).tasks!;
    expect(tasks.map((t) => t.taskArn)).toEqual(arns);
    for (const task of tasks) {
      expect(task).toMatchObject({
        lastStatus: 'RUNNING', desiredStatus: 'RUNNING', group: `service:${service}`, launchType: 'FARGATE',
        taskDefinitionArn: before.taskDefinition, startedBy: before.deployments![0].id,
      });
      expect(task.containers?.map((k) => [k.name, k.lastStatus])).toEqual([['app', 'RUNNING']]);
    }

    // Scaling keeps the tasks that run and adds (or stops) only the difference.
    sim.setTiming({ serviceStartMs: LONG });
    await c.ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: 3 }));
    expect(await running()).toEqual(arns);
    sim.setTiming({ serviceStartMs: 50 });
    await settled(3);
    const scaled = await running();
    expect(scaled.slice(0, 2)).toEqual(arns);
    expect(scaled).toHaveLength(3);
    await c.ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: 2 }));
    await settled(2);
    expect(await running()).toEqual(arns);

    // A new deployment: the old tasks run until the new ones do, then none of them is left.
    sim.setTiming({ serviceStartMs: LONG });
    await c.ecs.send(new UpdateServiceCommand({ cluster, service, forceNewDeployment: true }));
    expect((await describeService()).runningCount).toBe(2);
    expect(await running()).toEqual(arns);
    sim.setTiming({ serviceStartMs: 50 });
    await settled(2);
    const replaced = await running();
    expect(replaced).toHaveLength(2);
    expect(replaced.filter((a) => arns.includes(a))).toEqual([]);
    // A replaced task is no longer described as RUNNING.
    const old = (await c.ecs.send(new DescribeTasksCommand({ cluster, tasks: [arns[0]] }))).tasks ?? [];
    expect(old.filter((t) => t.lastStatus === 'RUNNING')).toEqual([]);
  });

  it('refuses to delete a cluster with services, or an SG a service or ALB still uses', async () => {
    await expectAwsError(c.ecs.send(new DeleteClusterCommand({ cluster })), 'ClusterContainsServicesException');
    await expectAwsError(c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: taskSg })), 'DependencyViolation', `resource ${taskSg} has a dependent object`);
    // albSg: referenced by taskSg's ingress rule.
    await expectAwsError(c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: albSg })), 'DependencyViolation', /rule of security group/);
    await c.ec2.send(new RevokeSecurityGroupIngressCommand({
      GroupId: taskSg, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: albSg }] }],
    }));
    // Still used by the ALB itself.
    await expectAwsError(c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: albSg })), 'DependencyViolation', /load balancer/);
  });

  it('drains a deleted service, then makes it INACTIVE; a second delete is ServiceNotActiveException', async () => {
    sim.setTiming({ drainMs: LONG });
    await expectAwsError(c.ecs.send(new DeleteServiceCommand({ cluster, service })), 'InvalidParameterException'); // desiredCount > 0, no force
    const deleted = (await c.ecs.send(new DeleteServiceCommand({ cluster, service, force: true }))).service!;
    expect(deleted.status).toBe('DRAINING');
    expect((await describeService()).status).toBe('DRAINING');
    expect((await c.ecs.send(new ListTasksCommand({ cluster, serviceName: service }))).taskArns).toEqual([]);
    const draining = (await c.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions!;
    expect(draining.map((t) => t.TargetHealth?.State)).toEqual(['draining', 'draining']);
    await expectAwsError(c.ecs.send(new DeleteServiceCommand({ cluster, service, force: true })), 'ServiceNotActiveException');
    await expectAwsError(c.ecs.send(new CreateServiceCommand(serviceInput())), 'InvalidParameterException', 'Creation of service was not idempotent.');
    await expectAwsError(c.ecs.send(new DeleteClusterCommand({ cluster })), 'ClusterContainsServicesException');
    expect((await c.ecs.send(new ListServicesCommand({ cluster }))).serviceArns).toContain(deleted.serviceArn);

    sim.setTiming({ drainMs: 50, eniLingerMs: LONG });
    await eventually(async () => (await describeService()).status === 'INACTIVE', 10_000, 'service INACTIVE');
    await expectAwsError(c.ecs.send(new DeleteServiceCommand({ cluster, service, force: true })), 'ServiceNotActiveException');
    expect((await c.ecs.send(new ListServicesCommand({ cluster }))).serviceArns).not.toContain(deleted.serviceArn);
    expect((await c.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions).toEqual([]);
    // The tasks' ENIs are still detaching.
    await expectAwsError(c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: taskSg })), 'DependencyViolation');
    sim.setTiming({ eniLingerMs: 50 });
    await eventually(() => c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: taskSg })).then(() => true), 10_000, 'task SG deletable');
  });

  it('keeps the ALB security group in use while its ENIs linger after DeleteLoadBalancer', async () => {
    sim.setTiming({ eniLingerMs: LONG });
    await c.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: loadBalancerArn }));
    await expectAwsError(c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: albSg })), 'DependencyViolation', /deleted load balancer/);
    sim.setTiming({ eniLingerMs: 50 });
    await eventually(() => c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: albSg })).then(() => true), 10_000, 'ALB SG deletable');
  });

  it('deletes the cluster once its services are INACTIVE; then ClusterNotFoundException', async () => {
    await c.ecs.send(new DeleteClusterCommand({ cluster }));
    await expectAwsError(c.ecs.send(new DeleteClusterCommand({ cluster })), 'ClusterNotFoundException');
    // moto would still accept a service in the INACTIVE cluster.
    await expectAwsError(c.ecs.send(new CreateServiceCommand(serviceInput({ serviceName: 'late', loadBalancers: [], healthCheckGracePeriodSeconds: undefined }))), 'ClusterNotFoundException');
    await expectAwsError(c.ecs.send(new DeleteClusterCommand({ cluster: 'never-existed' })), 'ClusterNotFoundException');
  });
});

describe('sim: failTasks crash loop', () => {
  let sim: Simulation;
  let c: SimClients;
  const cluster = 'fp-crash';
  const service = 'crashy';
  const logLines = ['Error: connect ECONNREFUSED 127.0.0.1:9090', 'process exited with code 137'];

  beforeAll(async () => {
    sim = await startSimulation({ timing: { ...FAST, roleWarmupMs: 0 } });
    c = simClients(sim.endpoint);
    const net = await defaultNetwork(c);
    const role = (await c.iam.send(new CreateRoleCommand({ RoleName: 'crash-exec', AssumeRolePolicyDocument: ECS_TRUST_POLICY }))).Role!.Arn!;
    await c.logs.send(new CreateLogGroupCommand({ logGroupName: '/fp/crash' }));
    const sg = await createSecurityGroup(c, net.vpcId, 'crash-task');
    await c.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const td = (await c.ecs.send(new RegisterTaskDefinitionCommand(fargateTaskDefinition('crashy', role, '/fp/crash')))).taskDefinition!.taskDefinitionArn!;
    await c.ecs.send(new CreateServiceCommand({
      cluster, serviceName: service, taskDefinition: td, desiredCount: 1, launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: [net.subnets[0].SubnetId!], securityGroups: [sg] } },
    }));
  });
  afterAll(async () => {
    await sim?.stop();
  });

  const describeService = async () => (await c.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services![0];
  const stoppedTaskArns = async () =>
    (await c.ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'STOPPED' }))).taskArns ?? [];

  it('shows stopped tasks with their reason, exit code, events and awslogs output', async () => {
    sim.failTasks(service, { stoppedReason: 'Essential container in task exited', exitCode: 137, logLines });
    const failing = await eventually(async () => {
      const s = await describeService();
      return s.events?.some((e) => e.message?.includes('stopped')) && s;
    }, 10_000, 'stopped-task event');
    expect(failing.runningCount).toBe(0);
    expect(failing.deployments?.[0].rolloutState).toBe('IN_PROGRESS');
    expect((await c.ecs.send(new ListTasksCommand({ cluster, serviceName: service }))).taskArns).toEqual([]);
    const messages = failing.events!.map((e) => e.message);
    expect(messages.some((m) => /^\(service crashy\) has started 1 tasks: \(task [0-9a-f]{32}\)\.$/.test(m!))).toBe(true);
    expect(messages.some((m) => /^\(service crashy\) task [0-9a-f]{32} stopped: Essential container in task exited$/.test(m!))).toBe(true);

    const arns = await stoppedTaskArns();
    expect(arns.length).toBeGreaterThanOrEqual(1);
    expect(arns[0]).toMatch(/:task\/fp-crash\/[0-9a-f]{32}$/);
    const tasks = (await c.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks!;
    expect(tasks).toHaveLength(arns.length);
    expect(tasks[0]).toMatchObject({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedReason: 'Essential container in task exited', group: 'service:crashy' });
    expect(tasks[0].containers?.[0]).toMatchObject({ name: 'app', exitCode: 137, lastStatus: 'STOPPED' });

    const taskId = arns[0].split('/').pop();
    const events = await c.logs.send(new GetLogEventsCommand({ logGroupName: '/fp/crash', logStreamName: `app/app/${taskId}` }));
    expect(events.events?.map((e) => e.message)).toEqual(logLines);
  });

  it('keeps launching and stopping tasks while failing, and runs again once healed (the stopped ones stay listed)', async () => {
    await eventually(async () => (await stoppedTaskArns()).length >= 2, 10_000, 'a second stopped task');
    expect((await describeService()).runningCount).toBe(0);
    sim.failTasks(service, undefined);
    const stoppedWhenHealed = await stoppedTaskArns();
    const healed = await eventually(async () => {
      const s = await describeService();
      return s.runningCount === 1 && s;
    }, 10_000, 'service running again');
    expect(healed.deployments?.[0].rolloutState).toBe('COMPLETED');
    // ECS keeps recently stopped tasks visible: a caller that counted them a moment ago still finds them.
    expect(await stoppedTaskArns()).toEqual(stoppedWhenHealed);
    expect(healed.deployments?.[0].failedTasks).toBe(stoppedWhenHealed.length);
    const tasks = (await c.ecs.send(new ListTasksCommand({ cluster, serviceName: service }))).taskArns!;
    expect(tasks).toHaveLength(1);
    expect((await c.ecs.send(new DescribeTasksCommand({ cluster, tasks }))).tasks?.[0]).toMatchObject({ lastStatus: 'RUNNING', group: 'service:crashy' });
  });
});

describe('sim: faults', () => {
  let sim: Simulation;
  let c: SimClients;

  beforeAll(async () => {
    sim = await startSimulation({ timing: FAST });
    c = simClients(sim.endpoint, 1);
  });
  afterAll(async () => {
    await sim?.stop();
  });
  beforeEach(() => {
    sim.setFaults(undefined);
    sim.clearCalls();
  });

  it("throttles with each service's own error code, before the call reaches moto", async () => {
    sim.setFaults({ seed: 1, throttleRate: 1 });
    await expectAwsError(c.ecs.send(new CreateClusterCommand({ clusterName: 'throttled' })), 'ThrottlingException');
    await expectAwsError(c.logs.send(new DescribeLogGroupsCommand({})), 'ThrottlingException');
    await expectAwsError(c.amp.send(new ListWorkspacesCommand({})), 'ThrottlingException');
    await expectAwsError(c.iam.send(new CreateRoleCommand({ RoleName: 'throttled', AssumeRolePolicyDocument: ECS_TRUST_POLICY })), 'Throttling');
    await expectAwsError(c.elb.send(new DescribeLoadBalancersCommand({})), 'Throttling');
    await expectAwsError(c.ec2.send(new DescribeVpcsCommand({})), 'RequestLimitExceeded');
    await expectAwsError(c.secrets.send(new ListSecretsCommand({})), 'ThrottlingException');
    expect(sim.calls().map((call) => [call.service, call.action, call.fault])).toEqual([
      ['ecs', 'CreateCluster', 'throttle'],
      ['logs', 'DescribeLogGroups', 'throttle'],
      ['aps', 'ListWorkspaces', 'throttle'],
      ['iam', 'CreateRole', 'throttle'],
      ['elasticloadbalancing', 'DescribeLoadBalancers', 'throttle'],
      ['ec2', 'DescribeVpcs', 'throttle'],
      ['secretsmanager', 'ListSecrets', 'throttle'],
    ]);
    expect(sim.calls().map((call) => call.mutating)).toEqual([true, false, false, true, false, false, false]);
    sim.setFaults(undefined);
    const clusters = (await c.ecs.send(new DescribeClustersCommand({ clusters: ['throttled'] }))).clusters ?? [];
    expect(clusters.filter((cl) => cl.status === 'ACTIVE')).toEqual([]);
  });

  it('throttling and 5xx are retried by the SDK; validation errors are not', async () => {
    const retrying = simClients(sim.endpoint, 2);
    sim.setFaults({ seed: 2, throttleRate: 1 });
    await expectAwsError(retrying.ecs.send(new ListClustersCommand({})), 'ThrottlingException');
    expect(sim.calls()).toHaveLength(2);
    sim.clearCalls();
    sim.setFaults({ seed: 2, serverErrorRate: 1 });
    const err: any = await retrying.ec2.send(new DescribeVpcsCommand({})).catch((e) => e);
    expect([500, 503]).toContain(err.$metadata?.httpStatusCode);
    expect(sim.calls()).toHaveLength(2);
    expect(sim.calls().every((call) => call.fault?.startsWith('server-error-') && call.status >= 500)).toBe(true);
    sim.clearCalls();
    sim.setFaults(undefined);
    await expectAwsError(retrying.logs.send(new PutRetentionPolicyCommand({ logGroupName: 'x', retentionInDays: 8 })), 'InvalidParameterException');
    expect(sim.calls()).toHaveLength(1);
  });

  it('is deterministic per seed', async () => {
    const run = async (seed: number) => {
      sim.setFaults({ seed, throttleRate: 0.25, serverErrorRate: 0.15, dropRate: 0.15 });
      sim.clearCalls();
      for (let i = 0; i < 30; i++) await c.ecs.send(new ListClustersCommand({})).catch(() => undefined);
      return sim.calls().map((call) => call.fault ?? 'ok');
    };
    const first = await run(42);
    expect(await run(42)).toEqual(first);
    expect(first).toContain('ok');
    expect(first).toContain('throttle');
    expect(first.some((f) => f.startsWith('drop-'))).toBe(true);
    expect(await run(43)).not.toEqual(first);
  });

  it('drops connections before or after moto executed the call', async () => {
    sim.setFaults({ seed: 7, dropRate: 1 });
    const names = Array.from({ length: 16 }, (_, i) => `/fp/drop-${i}`);
    for (const logGroupName of names) {
      const err: any = await c.logs.send(new CreateLogGroupCommand({ logGroupName })).catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err.$metadata?.httpStatusCode).toBeUndefined();
    }
    const faults = sim.calls().map((call) => call.fault);
    expect(new Set(faults)).toEqual(new Set(['drop-before', 'drop-after']));
    sim.setFaults(undefined);
    const existing = new Set(((await c.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/fp/drop-' }))).logGroups ?? []).map((g) => g.logGroupName));
    names.forEach((name, i) => expect(existing.has(name), `${name} (${faults[i]})`).toBe(faults[i] === 'drop-after'));
  });

  it('refuses calls signed with an expired session token as each service does, without retries or reaching moto', async () => {
    const expired = 'sim-session-expired';
    // Three attempts allowed, so a retry would show in the calls.
    const withToken = (sessionToken: string) => {
      const config = { endpoint: sim.endpoint, region: REGION, credentials: { ...CREDENTIALS, sessionToken }, maxAttempts: 3 };
      return {
        ecs: new ECSClient(config), logs: new CloudWatchLogsClient(config), amp: new AmpClient(config), secrets: new SecretsManagerClient(config),
        iam: new IAMClient(config), elb: new ElasticLoadBalancingV2Client(config), ec2: new EC2Client(config),
      };
    };
    const old = withToken(expired);
    sim.expireSessionToken(expired, true);
    const message = /^The security token included in the request is expired$/;
    await expectAwsError(old.ecs.send(new CreateClusterCommand({ clusterName: 'expired' })), 'ExpiredTokenException', message);
    await expectAwsError(old.logs.send(new DescribeLogGroupsCommand({})), 'ExpiredTokenException', message);
    await expectAwsError(old.amp.send(new ListWorkspacesCommand({})), 'ExpiredTokenException', message);
    await expectAwsError(old.secrets.send(new ListSecretsCommand({})), 'ExpiredTokenException', message);
    await expectAwsError(old.iam.send(new CreateRoleCommand({ RoleName: 'expired', AssumeRolePolicyDocument: ECS_TRUST_POLICY })), 'ExpiredToken', message);
    await expectAwsError(old.elb.send(new DescribeLoadBalancersCommand({})), 'ExpiredToken', message);
    await expectAwsError(old.ec2.send(new DescribeVpcsCommand({})), 'RequestExpired');
    // One call each: the SDK does not retry them (a clock-skew retry needs a skewed Date header).
    expect(sim.calls().map((call) => [call.service, call.fault, call.status])).toEqual([
      ['ecs', 'expired-token', 403],
      ['logs', 'expired-token', 403],
      ['aps', 'expired-token', 403],
      ['secretsmanager', 'expired-token', 403],
      ['iam', 'expired-token', 403],
      ['elasticloadbalancing', 'expired-token', 403],
      ['ec2', 'expired-token', 400],
    ]);
    // Other credentials are unaffected; a refreshed token works again.
    await expect(withToken('sim-session-fresh').ecs.send(new ListClustersCommand({}))).resolves.toBeDefined();
    sim.expireSessionToken(expired, false);
    await expect(old.ecs.send(new ListClustersCommand({}))).resolves.toBeDefined();
    const clusters = (await c.ecs.send(new DescribeClustersCommand({ clusters: ['expired'] }))).clusters ?? [];
    expect(clusters.filter((cl) => cl.status === 'ACTIVE')).toEqual([]);
  });

  it('adds latency to every call', async () => {
    sim.setFaults({ seed: 1, latencyMs: 300 });
    const started = Date.now();
    await c.ecs.send(new ListClustersCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(sim.calls()[0]).toMatchObject({ service: 'ecs', action: 'ListClusters', mutating: false, status: 200 });
    expect(sim.calls()[0].fault).toBeUndefined();
  });
});

describe('sim: process lifecycle', () => {
  const motoPids = (port: string) => {
    try {
      return execFileSync('pgrep', ['-f', `moto_server -H 127.0.0.1 -p ${port}$`]).toString().trim().split('\n').filter(Boolean);
    } catch {
      return []; // pgrep exits 1 when nothing matches
    }
  };

  it('stop() kills moto and closes the proxy; it is idempotent', async () => {
    const sim = await startSimulation();
    const port = new URL(sim.motoEndpoint).port;
    expect(motoPids(port)).toHaveLength(1);
    expect((await fetch(`${sim.motoEndpoint}/moto-api/data.json`)).status).toBe(200);
    await sim.stop();
    expect(motoPids(port)).toEqual([]);
    await expect(fetch(`${sim.motoEndpoint}/moto-api/data.json`)).rejects.toThrow();
    await expect(fetch(`${sim.endpoint}/moto-api/data.json`)).rejects.toThrow();
    await sim.stop();
  });

  it('explains how to install moto when moto_server is not on PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startSimulation()).rejects.toThrow(/pip install 'moto\[server\]'/);
    } finally {
      process.env.PATH = path;
    }
  });
});
