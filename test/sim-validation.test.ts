// The simulation (docs/simulation.md), checked with real SDK v3 clients against sim.endpoint.
// Validation rules and wire formats of each service: task definitions, ELBv2, IAM, Logs, AMP, the default VPC.
import {
  CreateWorkspaceCommand,
  DeleteWorkspaceCommand,
  DescribeWorkspaceCommand,
  ListWorkspacesCommand,
} from '@aws-sdk/client-amp';
import {
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateSubnetCommand, CreateVpcCommand, DescribeRouteTablesCommand } from '@aws-sdk/client-ec2';
import { DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulation } from '@fargate-prom/aws-sim/testing';
import {
  createAlbWithListener,
  createIpTargetGroup,
  createSecurityGroup,
  defaultNetwork,
  ECS_TRUST_POLICY,
  eventually,
  expectAwsError,
  fargateTaskDefinition,
  REGION,
  resetMoto,
  simClients,
  type SimClients,
} from './support/sim-fixtures.js';
import { FAST, LONG, unique } from './support/sim-timing.js';
import { withStack } from './support/stack.js';

describe('sim: validation rules and wire formats', () => {
  const stack = withStack({ timing: FAST });
  let sim: Simulation;
  let c: SimClients;
  let net: Awaited<ReturnType<typeof defaultNetwork>>;

  beforeAll(async () => {
    ({ sim, aws: c } = stack);
    net = await defaultNetwork(c);
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
      // The same ranges when the health check is modified, and the deregistration delay's 0–3600 s.
      const arn = created.TargetGroups![0].TargetGroupArn!;
      const modify = (overrides: Record<string, unknown>) => c.elb.send(new ModifyTargetGroupCommand({ TargetGroupArn: arn, ...overrides }));
      await expectAwsError(modify({ HealthCheckIntervalSeconds: 4 }), 'ValidationError', /greater than or equal to 5/);
      await expectAwsError(modify({ HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 5 }), 'ValidationError', /interval must be greater than the timeout/);
      await expectAwsError(modify({ UnhealthyThresholdCount: 11 }), 'ValidationError', /less than or equal to 10/);
      await modify({ HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 4, UnhealthyThresholdCount: 6 });
      const delay = (value: string) => c.elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: value }] }));
      await expectAwsError(delay('3601'), 'ValidationError', /between 0 and 3600/);
      await expectAwsError(delay('-1'), 'ValidationError', /between 0 and 3600/);
      await delay('5');
      const attrs = await simClients(sim.motoEndpoint).elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }));
      expect(attrs.Attributes!.find((a) => a.Key === 'deregistration_delay.timeout_seconds')!.Value).toBe('5');
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
