// The simulation (docs/simulation.md), checked with real SDK v3 clients against sim.endpoint.
// ECS services, running and crash-looping tasks, target health and teardown order.
import { CreateLogGroupCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DeleteSecurityGroupCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DeleteServiceCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListServicesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import {
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulation } from '@fargate-prom/aws-sim/testing';
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
  sleep,
  type SimClients,
} from './support/sim-fixtures.js';
import { FAST, LONG } from './support/sim-timing.js';
import { withStack } from './support/stack.js';

describe('sim: ECS services, target health and teardown order', () => {
  const stack = withStack({ timing: FAST });
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
    ({ sim, aws: c } = stack);
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
  const stack = withStack({ timing: { ...FAST, roleWarmupMs: 0 } });
  let sim: Simulation;
  let c: SimClients;
  const cluster = 'fp-crash';
  const service = 'crashy';
  const logLines = ['Error: connect ECONNREFUSED 127.0.0.1:9090', 'process exited with code 137'];

  beforeAll(async () => {
    ({ sim, aws: c } = stack);
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
