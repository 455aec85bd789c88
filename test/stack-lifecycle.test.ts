import { afterAll, describe, expect, it } from 'vitest';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import {
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateRoleCommand, GetRoleCommand, GetRolePolicyCommand, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateLogGroupCommand, DescribeLogGroupsCommand, ListTagsForResourceCommand, TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ListWorkspacesCommand } from '@aws-sdk/client-amp';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_TIMING } from '@fargate-prom/aws-sim/testing';
import { defaultNetwork, ECS_TRUST_POLICY } from './support/sim-fixtures.js';
import { simEnv } from './support/cli.js';
import { withStack } from './support/stack.js';
import { describeAll, readStack } from './support/reliability-stack.js';

const STACK = 'life';
const TAG = { Key: 'fargate-prom:stack', Value: STACK };
const IMAGE = 'public.ecr.aws/docker/library/node:20-alpine';
const ECS_TASKS_TRUST = { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' };

const stack = withStack({ plane: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
const up = (...extra: string[]) => stack.cli(['up', '--name', STACK, '--app-image', IMAGE, '--yes', '--json', ...extra]);

// One stack's whole life, in order: each step builds on the state the previous one left.
describe('up, up again, change, status, destroy against the simulation', () => {
  let firstUp: any;

  it('creates every resource and reports the URLs', async () => {
    const run = await up('--desired-count', '2');
    expect(run.code, run.stderr).toBe(0);
    firstUp = run.json();
    expect(firstUp.stack).toBe(STACK);
    expect(firstUp.resources).toHaveLength(25);
    expect(firstUp.resources.every((r: any) => r.action === 'create')).toBe(true);
    expect(firstUp.app.url).toMatch(/^http:\/\/life-alb-.*\/$/);
    expect(firstUp.grafana.url).toMatch(/\/dashboard\/$/);
    expect(firstUp.amp.remoteWriteUrl).toBe(`https://aps-workspaces.us-east-1.amazonaws.com/workspaces/${firstUp.amp.workspaceId}/api/v1/remote_write`);
    // Progress reached stderr as plain lines (no TTY) while it waited for the services.
    expect(run.stderr).toMatch(/service life-app: \d\/2 running/);
    expect(run.stderr).toMatch(/warning: the load balancer accepts traffic from anywhere/);
    // Nothing from Node itself: no warnings about listeners, no stack traces.
    expect(run.stderr).not.toMatch(/MaxListenersExceededWarning|\(node:\d+\) Warning|\n\s+at /);
  });

  it('built the ECS side as asked: ARM64 Fargate, sidecar not essential, secret injected, circuit breaker', async () => {
    const app = await stack.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'life-app', include: ['TAGS'] }));
    const td = app.taskDefinition!;
    expect(td.requiresCompatibilities).toEqual(['FARGATE']);
    expect(td.networkMode).toBe('awsvpc');
    expect(td.runtimePlatform).toEqual({ operatingSystemFamily: 'LINUX', cpuArchitecture: 'ARM64' });
    expect([td.cpu, td.memory]).toEqual(['256', '512']);
    const byName = Object.fromEntries(td.containerDefinitions!.map((c) => [c.name, c]));
    expect(byName.app.image).toBe(IMAGE);
    expect(byName.app.essential).toBe(true);
    expect(byName.app.portMappings![0].containerPort).toBe(8080);
    expect(byName['prometheus-agent'].essential).toBe(false);
    // A crashed agent comes back without replacing the task; the app container keeps ECS's default (none).
    expect(byName['prometheus-agent'].restartPolicy).toEqual({ enabled: true });
    expect(byName.app.restartPolicy).toBeUndefined();
    expect(byName['prometheus-agent'].logConfiguration!.options!['awslogs-group']).toBe('/fargate-prom/life/agent');
    expect(app.tags).toContainEqual({ key: TAG.Key, value: TAG.Value });

    const grafana = (await stack.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'life-grafana' }))).taskDefinition!;
    const g = grafana.containerDefinitions![0];
    const env = Object.fromEntries(g.environment!.map((e) => [e.name, e.value]));
    expect(env.GF_SERVER_SERVE_FROM_SUB_PATH).toBe('true');
    expect(env.GF_SERVER_ROOT_URL).toMatch(/^http:\/\/life-alb-.*\/dashboard\/$/);
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
    // The AMP plugin, pinned as id@version beside the Grafana image.
    expect(env.GF_PLUGINS_PREINSTALL_SYNC).toMatch(/^grafana-amazonprometheus-datasource@\d+\.\d+\.\d+$/);
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toBeUndefined();
    const secret = await stack.aws.secrets.send(new DescribeSecretCommand({ SecretId: 'fargate-prom/life/grafana-admin' }));
    expect(g.secrets).toEqual([{ name: 'GF_SECURITY_ADMIN_PASSWORD', valueFrom: secret.ARN }]);
    const password = (await stack.aws.secrets.send(new GetSecretValueCommand({ SecretId: secret.ARN }))).SecretString!;
    expect(password.length).toBeGreaterThanOrEqual(24);
    expect(password).not.toBe('admin');

    const svc = (await stack.aws.ecs.send(new DescribeServicesCommand({ cluster: 'life', services: ['life-app', 'life-grafana'] }))).services!;
    const appSvc = svc.find((s) => s.serviceName === 'life-app')!;
    expect(appSvc.desiredCount).toBe(2);
    expect(appSvc.launchType).toBe('FARGATE');
    expect(appSvc.deploymentConfiguration?.deploymentCircuitBreaker).toEqual({ enable: true, rollback: true });
    expect(appSvc.loadBalancers![0]).toMatchObject({ containerName: 'app', containerPort: 8080 });
    expect(appSvc.networkConfiguration?.awsvpcConfiguration?.securityGroups).toHaveLength(1);
    // The default VPC's subnets route to an internet gateway and have no NAT: tasks need public IPs to pull images.
    expect(appSvc.networkConfiguration?.awsvpcConfiguration?.assignPublicIp).toBe('ENABLED');
    const grafanaSvc = svc.find((s) => s.serviceName === 'life-grafana')!;
    expect(grafanaSvc.loadBalancers![0]).toMatchObject({ containerName: 'grafana', containerPort: 3000 });
    expect(grafanaSvc.desiredCount).toBe(1);
    // Both on a platform version with ARM64 and task metadata v4; grace enough for the app to start and for Grafana's plugin install.
    expect([appSvc.platformVersion, grafanaSvc.platformVersion]).toEqual(['LATEST', 'LATEST']);
    expect([appSvc.healthCheckGracePeriodSeconds, grafanaSvc.healthCheckGracePeriodSeconds]).toEqual([60, 180]);
    expect(grafanaSvc.deploymentConfiguration?.deploymentCircuitBreaker).toEqual({ enable: true, rollback: true });
    expect(grafanaSvc.networkConfiguration?.awsvpcConfiguration?.assignPublicIp).toBe('ENABLED');

    // Grafana's task: ARM64 Fargate too, with its own task role and the shared execution role.
    const roleArn = async (name: string) => (await stack.aws.iam.send(new GetRoleCommand({ RoleName: name }))).Role!.Arn!;
    expect(grafana.requiresCompatibilities).toEqual(['FARGATE']);
    expect(grafana.networkMode).toBe('awsvpc');
    expect(grafana.runtimePlatform).toEqual({ operatingSystemFamily: 'LINUX', cpuArchitecture: 'ARM64' });
    expect(grafana.taskRoleArn).toBe(await roleArn('life-grafana-task'));
    expect(grafana.executionRoleArn).toBe(await roleArn('life-execution'));
    expect(td.taskRoleArn).toBe(await roleArn('life-app-task'));
    expect(td.executionRoleArn).toBe(grafana.executionRoleArn);
  });

  it('registered the agent config that writes to this workspace with SigV4 and the queue settings AMP recommends', async () => {
    const td = (await stack.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'life-app' }))).taskDefinition!;
    const agent = td.containerDefinitions!.find((c) => c.name === 'prometheus-agent')!;
    const config = parseYaml(agent.environment!.find((e) => e.name === 'PROM_AGENT_CONFIG')!.value!);
    expect(config.remote_write).toEqual([{
      url: `https://aps-workspaces.us-east-1.amazonaws.com/workspaces/${firstUp.amp.workspaceId}/api/v1/remote_write`,
      sigv4: { region: 'us-east-1' },
      queue_config: { max_samples_per_send: 1000, max_shards: 200, capacity: 2500 },
    }]);
    expect(config.global.scrape_interval).toBe('15s');
    expect(config.scrape_configs).toHaveLength(1);
    expect(config.scrape_configs[0]).toMatchObject({ job_name: 'life', metrics_path: '/metrics', static_configs: [{ targets: ['localhost:8080'] }] });
  });

  it('gave each role only what it needs, on this workspace and this secret', async () => {
    const ws = firstUp.amp.workspaceId as string;
    const inline = async (role: string) => {
      const names = (await stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames!;
      return Promise.all(names.map(async (p) => JSON.parse(decodeURIComponent((await stack.aws.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: p }))).PolicyDocument!))));
    };
    const [app] = await inline('life-app-task');
    expect(app.Statement).toEqual([{ Effect: 'Allow', Action: 'aps:RemoteWrite', Resource: expect.stringMatching(new RegExp(`:workspace/${ws}$`)) }]);
    const [graf] = await inline('life-grafana-task');
    expect(graf.Statement[0].Action).toEqual(['aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata']);
    expect(graf.Statement[0].Resource).toMatch(new RegExp(`:workspace/${ws}$`));
    const [exec] = await inline('life-execution');
    expect(exec.Statement[0]).toMatchObject({ Action: 'secretsmanager:GetSecretValue', Resource: expect.stringContaining(':secret:fargate-prom/life/grafana-admin') });
    const attached = await stack.aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'life-execution' }));
    expect(attached.AttachedPolicies!.map((p) => p.PolicyArn)).toEqual(['arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy']);
    // The task roles trust ECS tasks of this account and region only (confused-deputy protection, as the
    // task role page documents); the execution role has the plain trust policy its page documents.
    for (const name of ['life-execution', 'life-app-task', 'life-grafana-task']) {
      const role = (await stack.aws.iam.send(new GetRoleCommand({ RoleName: name }))).Role!;
      const account = role.Arn!.split(':')[4];
      const trust = JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!));
      expect(trust.Statement).toEqual([name === 'life-execution' ? ECS_TASKS_TRUST : {
        ...ECS_TASKS_TRUST,
        Condition: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:aws:ecs:us-east-1:${account}:*` },
        },
      }]);
      expect(role.Tags).toContainEqual(TAG);
    }
  });

  it('built the network side: ip target groups, ALB in 2+ AZs, listener and /dashboard rule, locked-down SGs', async () => {
    const tgs = (await stack.aws.elb.send(new DescribeTargetGroupsCommand({ Names: ['life-app', 'life-grafana'] }))).TargetGroups!;
    for (const tg of tgs) expect(tg.TargetType).toBe('ip');
    expect(tgs.find((t) => t.TargetGroupName === 'life-app')!.HealthCheckPath).toBe('/metrics');
    expect(tgs.find((t) => t.TargetGroupName === 'life-grafana')!.HealthCheckPath).toBe('/dashboard/api/health');
    // Short checks and a short deregistration delay on both, so deploys and deletes take seconds, not minutes.
    expect(tgs).toHaveLength(2);
    for (const tg of tgs) {
      expect(tg).toMatchObject({ HealthCheckProtocol: 'HTTP', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 4, HealthyThresholdCount: 2, UnhealthyThresholdCount: 6 });
      const attrs = await stack.aws.elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }));
      expect(attrs.Attributes!.find((a) => a.Key === 'deregistration_delay.timeout_seconds')!.Value, tg.TargetGroupName).toBe('5');
    }
    expect(tgs.find((t) => t.TargetGroupName === 'life-app')!).toMatchObject({ Port: 8080, Matcher: { HttpCode: '200-399' } });
    expect(tgs.find((t) => t.TargetGroupName === 'life-grafana')!).toMatchObject({ Port: 3000, Matcher: { HttpCode: '200' } });

    const lb = (await stack.aws.elb.send(new DescribeLoadBalancersCommand({ Names: ['life-alb'] }))).LoadBalancers![0];
    expect(lb.Scheme).toBe('internet-facing');
    expect(new Set(lb.AvailabilityZones!.map((z) => z.ZoneName)).size).toBeGreaterThanOrEqual(2);
    const lbTags = (await stack.aws.elb.send(new DescribeTagsCommand({ ResourceArns: [lb.LoadBalancerArn!] }))).TagDescriptions![0].Tags;
    expect(lbTags).toContainEqual(TAG);
    const listeners = (await stack.aws.elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners!;
    expect(listeners.map((l) => l.Port)).toEqual([80]);
    expect(listeners[0].DefaultActions![0].TargetGroupArn).toBe(tgs.find((t) => t.TargetGroupName === 'life-app')!.TargetGroupArn);
    const rules = (await stack.aws.elb.send(new DescribeRulesCommand({ ListenerArn: listeners[0].ListenerArn }))).Rules!.filter((r) => !r.IsDefault);
    const byPriority = Object.fromEntries(rules.map((r) => [r.Priority, r]));
    expect(Object.keys(byPriority).sort()).toEqual(['10', '5']);
    expect(byPriority['10'].Conditions![0].PathPatternConfig?.Values).toEqual(['/dashboard', '/dashboard/*']);
    expect(byPriority['10'].Actions![0]).toMatchObject({ Type: 'forward', TargetGroupArn: tgs.find((t) => t.TargetGroupName === 'life-grafana')!.TargetGroupArn });
    // The app's metrics are not served through the ALB (evaluated first); its health check, straight to the targets, still uses them.
    expect(byPriority['5'].Conditions).toEqual([{ Field: 'path-pattern', PathPatternConfig: { Values: ['/metrics', '/metrics/*'] } }]);
    expect(byPriority['5'].Actions).toEqual([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' } }]);

    const sgs = (await stack.aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:fargate-prom:stack', Values: [STACK] }] }))).SecurityGroups!;
    const alb = sgs.find((g) => g.GroupName === 'life-alb')!;
    const tasks = sgs.find((g) => g.GroupName === 'life-tasks')!;
    expect(alb.IpPermissions).toEqual([expect.objectContaining({ FromPort: 80, ToPort: 80, IpRanges: [expect.objectContaining({ CidrIp: '0.0.0.0/0' })] })]);
    expect(tasks.IpPermissions!.map((p) => p.FromPort).sort()).toEqual([3000, 8080]);
    for (const p of tasks.IpPermissions!) {
      expect(p.IpRanges ?? []).toEqual([]);
      expect(p.UserIdGroupPairs!.map((g) => g.GroupId)).toEqual([alb.GroupId]);
    }

    const logs = (await stack.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/fargate-prom/life/' }))).logGroups!;
    expect(logs.map((l) => [l.logGroupName, l.retentionInDays])).toEqual([
      ['/fargate-prom/life/agent', 7], ['/fargate-prom/life/app', 7], ['/fargate-prom/life/grafana', 7],
    ]);
    const logTags = await stack.aws.logs.send(new ListTagsForResourceCommand({ resourceArn: logs[0].logGroupArn }));
    expect(logTags.tags).toEqual({ [TAG.Key]: STACK });
  });

  it('a second up changes nothing and makes no mutating AWS call', async () => {
    stack.sim.clearCalls();
    const run = await up('--desired-count', '2');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().resources.map((r: any) => r.action)).toEqual(Array(25).fill('unchanged'));
    expect(stack.sim.calls().filter((c) => c.mutating)).toEqual([]);
    expect(run.json().aws.mutatingCalls).toBe(0);
  });

  it('an execution role made by an older version (with trust conditions) gets the documented trust policy on the next up', async () => {
    const role = (await stack.aws.iam.send(new GetRoleCommand({ RoleName: 'life-app-task' }))).Role!;
    await stack.aws.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'life-execution', PolicyDocument: decodeURIComponent(role.AssumeRolePolicyDocument!) }));
    stack.sim.clearCalls();
    const run = await up('--desired-count', '2');
    expect(run.code, run.stderr).toBe(0);
    const changed = run.json().resources.filter((r: any) => r.action !== 'unchanged');
    expect(changed).toEqual([expect.objectContaining({ kind: 'iam-role', name: 'life-execution', action: 'update', differences: ['trust policy'] })]);
    expect(stack.sim.calls().filter((c) => c.mutating).map((c) => c.action)).toEqual(['UpdateAssumeRolePolicy']);
    const after = (await stack.aws.iam.send(new GetRoleCommand({ RoleName: 'life-execution' }))).Role!;
    expect(JSON.parse(decodeURIComponent(after.AssumeRolePolicyDocument!)).Statement).toEqual([ECS_TASKS_TRUST]);
  });

  it('target groups made by an older version (10 s checks, 3 to fail, 15 s draining) get the faster settings on the next up, then nothing', async () => {
    const tgs = (await stack.moto.elb.send(new DescribeTargetGroupsCommand({ Names: ['life-app', 'life-grafana'] }))).TargetGroups!;
    for (const tg of tgs) {
      await stack.moto.elb.send(new ModifyTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn, HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 5, UnhealthyThresholdCount: 3 }));
      await stack.moto.elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '15' }] }));
    }
    stack.sim.clearCalls();
    const run = await up('--desired-count', '2');
    expect(run.code, run.stderr).toBe(0);
    const changed = run.json().resources.filter((r: any) => r.action !== 'unchanged');
    expect(changed.map((r: any) => [r.name, r.action, r.differences])).toEqual(['life-app', 'life-grafana'].map((name) => [name, 'update', [
      'health check interval: 10 → 5', 'health check timeout: 5 → 4', 'unhealthy threshold: 3 → 6', 'deregistration delay: 15 → 5',
    ]]));
    expect(stack.sim.calls().filter((c) => c.mutating).map((c) => c.action).sort())
      .toEqual(['ModifyTargetGroup', 'ModifyTargetGroup', 'ModifyTargetGroupAttributes', 'ModifyTargetGroupAttributes']);
    // Read back from moto.
    for (const tg of (await stack.moto.elb.send(new DescribeTargetGroupsCommand({ Names: ['life-app', 'life-grafana'] }))).TargetGroups!) {
      expect(tg).toMatchObject({ HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 4, HealthyThresholdCount: 2, UnhealthyThresholdCount: 6 });
      const attrs = await stack.moto.elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }));
      expect(attrs.Attributes!.find((a) => a.Key === 'deregistration_delay.timeout_seconds')!.Value).toBe('5');
    }
    stack.sim.clearCalls();
    const again = await up('--desired-count', '2');
    expect(again.code, again.stderr).toBe(0);
    expect(stack.sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('--dry-run shows the difference of a changed option and changes nothing', async () => {
    stack.sim.clearCalls();
    const run = await up('--desired-count', '3', '--dry-run');
    expect(run.code, run.stderr).toBe(0);
    const changed = run.json().resources.filter((r: any) => r.action !== 'unchanged');
    expect(changed).toEqual([{ kind: 'ecs-service', name: 'life-app', id: expect.stringMatching(/:service\/life\/life-app$/), action: 'update', differences: ['desired count: 2 → 3'] }]);
    expect(stack.sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('a changed --desired-count updates only the app service, with no new task definition revision', async () => {
    stack.sim.clearCalls();
    const run = await up('--desired-count', '3');
    expect(run.code, run.stderr).toBe(0);
    const changed = run.json().resources.filter((r: any) => r.action !== 'unchanged');
    expect(changed.map((r: any) => `${r.action} ${r.name}`)).toEqual(['update life-app']);
    expect(stack.sim.calls().filter((c) => c.mutating).map((c) => c.action)).toEqual(['UpdateService']);
    const revisions = await stack.aws.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'life-app' }));
    expect(revisions.taskDefinitionArns).toHaveLength(1);
  });

  it('a changed --scrape-interval registers a new app revision and rolls the service to it', async () => {
    const run = await up('--desired-count', '3', '--scrape-interval', '30s');
    expect(run.code, run.stderr).toBe(0);
    const changed = run.json().resources.filter((r: any) => r.action !== 'unchanged').map((r: any) => `${r.action} ${r.kind} ${r.name}`);
    expect(changed).toEqual(['update task-definition life-app', 'update ecs-service life-app']);
    const svc = (await stack.aws.ecs.send(new DescribeServicesCommand({ cluster: 'life', services: ['life-app'] }))).services![0];
    expect(svc.taskDefinition).toMatch(/life-app:2$/);
  });

  it('status reports every resource healthy, with services, targets and URLs, and that no metrics arrive (exit 3)', async () => {
    // No agent runs here: the workspace's query API (the local data plane) has no samples of the job.
    const run = await stack.cli(['status', '--name', STACK, '--amp-endpoint-url', stack.plane.url, '--json']);
    expect(run.code, run.stderr).toBe(3);
    const s = run.json();
    expect(s.healthy).toBe(false);
    expect(s.resources.filter((r: any) => !r.healthy)).toEqual([]);
    expect(s.metrics).toMatchObject({ checked: true, healthy: false, targets: { up: 0, expected: 3 }, newestSampleAgeSeconds: null });
    expect(s.metrics.problems).toEqual(['no samples of job life in the workspace', '0 of 3 scrape targets up']);
    expect(s.resources).toHaveLength(25);
    const appSvc = s.resources.find((r: any) => r.name === 'life-app' && r.kind === 'ecs-service');
    expect(appSvc.detail).toMatchObject({ desired: 3, running: 3, pending: 0, rolloutState: 'COMPLETED', targets: '3/3 healthy' });
    expect(s.resources.find((r: any) => r.kind === 'amp-workspace').state).toBe('ACTIVE');
    expect(s.app.url).toBe(firstUp.app.url);
    expect(s.amp.workspaceId).toBe(firstUp.amp.workspaceId);
  });

  it('status in text form names the stack, its URLs and the metrics problem', async () => {
    const run = await stack.cli(['status', '--name', STACK, '--amp-endpoint-url', stack.plane.url]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toMatch(/Stack life in us-east-1: \d+ problems?/);
    expect(run.stdout).toContain('Metrics:  PROBLEM: no samples of job life in the workspace');
    expect(run.stdout).toContain(firstUp.grafana.url);
  });

  it('status against the emulator without --amp-endpoint-url says the metrics were not checked, and does not hold it against the stack', async () => {
    const run = await stack.cli(['status', '--name', STACK, '--json']);
    expect(run.code, run.stdout).toBe(0);
    expect(run.json().metrics).toMatchObject({ checked: false, healthy: true, skipped: expect.stringContaining('pass --amp-endpoint-url') });
    const text = await stack.cli(['status', '--name', STACK]);
    expect(text.stdout).toContain('Metrics:  not checked: --endpoint-url points the AWS calls at an emulator');
  });

  it('destroy removes everything, in a safe order, and the sweep finds nothing', async () => {
    stack.sim.clearCalls();
    const run = await stack.cli(['destroy', '--name', STACK, '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    // The tagging API still lists the INACTIVE services and cluster (as ECS keeps them); the sweep's observe
    // of the cluster by name already answers for them, so ECS is asked once, not again per tagged ARN.
    const calls = stack.sim.calls();
    const sweep = calls.slice(calls.map((c) => c.mutating).lastIndexOf(true) + 1);
    expect(sweep.some((c) => c.action === 'GetResources')).toBe(true);
    expect(sweep.filter((c) => c.service === 'ecs').map((c) => c.action)).toEqual(['DescribeClusters']);
    const d = run.json();
    expect(d.resources.filter((r: any) => r.action === 'delete')).toHaveLength(25);
    expect(d.leftovers).toEqual([]);
    // Checked through AWS, not through the CLI: nothing tagged with the stack is left.
    const sgs = await stack.aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:fargate-prom:stack', Values: [STACK] }] }));
    expect(sgs.SecurityGroups).toEqual([]);
    const ws = await stack.aws.amp.send(new ListWorkspacesCommand({ alias: STACK }));
    expect(ws.workspaces).toEqual([]);
    await expect(stack.aws.iam.send(new GetRoleCommand({ RoleName: 'life-execution' }))).rejects.toThrow(/not found|cannot be found/i);
    expect((await stack.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/fargate-prom/life/' }))).logGroups).toEqual([]);
    expect((await stack.aws.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'life-app', status: 'ACTIVE' }))).taskDefinitionArns).toEqual([]);
    await expect(stack.aws.elb.send(new DescribeLoadBalancersCommand({ Names: ['life-alb'] }))).rejects.toThrow();
    // And every kind, read straight from moto: nothing tagged with the stack or named as it is left.
    expect(describeAll(await readStack(stack.moto, STACK))).toEqual([]);
  });

  it('status after destroy says there is no such stack (exit 4)', async () => {
    const run = await stack.cli(['status', '--name', STACK]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('no stack named life');
  });
});

describe('destroy next to resources it does not own, and what it cannot delete', () => {
  const { cli } = stack;
  const FOREIGN_LOG = '/fargate-prom/mix/app';
  afterAll(() => stack.sim.setTiming(DEFAULT_TIMING));

  it('setup: a whole stack, whose app log group someone else has since taken over (stack tag replaced by theirs)', async () => {
    const run = await cli(['up', '--name', 'mix', '--app-image', IMAGE, '--desired-count', '1', '--yes']);
    expect(run.code, run.stderr).toBe(0);
    // Untagged in place: moto keeps a deleted log group's tags for a new one of the same name.
    const arn = (await stack.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: FOREIGN_LOG }))).logGroups![0].logGroupArn!;
    await stack.aws.logs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: [TAG.Key] }));
    await stack.aws.logs.send(new TagResourceCommand({ resourceArn: arn, tags: { team: 'someone-else' } }));
  });

  it('a deletion that keeps failing stops destroy with exit 1, naming what failed and what is left', async () => {
    // ENIs that never let go of the tasks' security group; waits shrunk so its retry budget runs out in about 2 s.
    stack.sim.setTiming({ eniLingerMs: 3_600_000, drainMs: 50, ampDeleteMs: 50 });
    const run = await cli(['destroy', '--name', 'mix', '--yes'], simEnv({ FARGATE_PROM_TIME_SCALE: '0.002' }));
    expect(run.code, run.stderr).toBe(1);
    // The EFS group is tried first (its mount targets go while the services drain) and runs out first; the
    // tasks' group waits for it (its NFS rule names the tasks' group), the ALB's for the tasks'.
    expect(run.stderr).toMatch(/destroy stopped: security-group mix-efs: deleting security group mix-efs: still failing after \d+m\d+s: DependencyViolation: resource sg-\w+ has a dependent object \(network interface of deleted EFS mount target fsmt-\w+\)/);
    expect(run.stderr).toMatch(/done before it stopped: .*delete ecs-service mix-app/);
    expect(run.stderr).toContain('not started: security-group mix-alb, security-group mix-tasks');
    expect(run.stderr).toContain('run `fargate-prom destroy` again to delete the rest');
    expect(run.stderr).toContain(`warning: left log-group ${FOREIGN_LOG} (${FOREIGN_LOG}) untouched: it does not carry the tag of stack mix`);
    // Checked through AWS: the security groups are still there, what came before them is gone.
    const sgs = await stack.aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:fargate-prom:stack', Values: ['mix'] }] }));
    expect(sgs.SecurityGroups!.map((g) => g.GroupName).sort()).toEqual(['mix-alb', 'mix-efs', 'mix-tasks']);
    await expect(stack.aws.elb.send(new DescribeLoadBalancersCommand({ Names: ['mix-alb'] }))).rejects.toThrow();
  });

  it('run again once the ENIs are gone: deletes the rest, leaves the foreign log group as it was and says so (exit 0)', async () => {
    stack.sim.setTiming({ eniLingerMs: 0 });
    const run = await cli(['destroy', '--name', 'mix', '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const d = run.json();
    expect(d.resources.filter((r: any) => r.action === 'delete').map((r: any) => r.name).sort()).toEqual(['mix-alb', 'mix-efs', 'mix-tasks']);
    expect(d.resources.find((r: any) => r.kind === 'log-group' && r.name === FOREIGN_LOG)).toMatchObject({ action: 'skipped', id: FOREIGN_LOG });
    expect(d.leftovers).toEqual([]);
    expect(run.stderr).toContain(`warning: left log-group ${FOREIGN_LOG} (${FOREIGN_LOG}) untouched: it does not carry the tag of stack mix`);
    const left = (await stack.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/fargate-prom/mix/' }))).logGroups!;
    expect(left.map((g) => g.logGroupName)).toEqual([FOREIGN_LOG]);
    expect((await stack.aws.logs.send(new ListTagsForResourceCommand({ resourceArn: left[0].logGroupArn }))).tags).toEqual({ team: 'someone-else' });
    expect((await stack.aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:fargate-prom:stack', Values: ['mix'] }] }))).SecurityGroups).toEqual([]);
  });

  it('the sweep lists resources tagged with the stack under other names (tagging API, and roles by tag), exit 1', async () => {
    const tag = { 'fargate-prom:stack': 'strays' };
    const { vpcId } = await defaultNetwork(stack.aws);
    // One resource under the stack's own names, so there is a stack to destroy; the strays are under names it never uses.
    await stack.aws.logs.send(new CreateLogGroupCommand({ logGroupName: '/fargate-prom/strays/app', tags: tag }));
    await stack.aws.logs.send(new CreateLogGroupCommand({ logGroupName: '/fargate-prom/strays/old', tags: tag }));
    const strayTg = (await stack.aws.elb.send(new CreateTargetGroupCommand({
      Name: 'strays-old', Protocol: 'HTTP', Port: 8080, VpcId: vpcId, TargetType: 'ip', Tags: [{ Key: TAG.Key, Value: 'strays' }],
    }))).TargetGroups![0].TargetGroupArn!;
    await stack.aws.elb.send(new CreateTargetGroupCommand({ Name: 'strays-other', Protocol: 'HTTP', Port: 8080, VpcId: vpcId, TargetType: 'ip' }));
    const strayRole = (await stack.aws.iam.send(new CreateRoleCommand({ RoleName: 'strays-legacy', AssumeRolePolicyDocument: ECS_TRUST_POLICY, Tags: [{ Key: TAG.Key, Value: 'strays' }] }))).Role!.Arn!;
    await stack.aws.iam.send(new CreateRoleCommand({ RoleName: 'strays-mine', AssumeRolePolicyDocument: ECS_TRUST_POLICY }));

    const run = await cli(['destroy', '--name', 'strays', '--yes', '--json']);
    expect(run.code).toBe(1);
    const d = run.json();
    expect(d.resources.filter((r: any) => r.action === 'delete').map((r: any) => r.name)).toEqual(['/fargate-prom/strays/app']);
    expect(d.leftovers).toHaveLength(3);
    expect(d.leftovers).toEqual(expect.arrayContaining([
      { kind: 'target-group', name: 'strays-old', id: strayTg },
      { kind: 'log-group', name: '/fargate-prom/strays/old', id: '/fargate-prom/strays/old' },
      { kind: 'iam-role', name: 'strays-legacy', id: strayRole },
    ]));
    expect(run.stderr).toMatch(/still there after destroy \(tagged fargate-prom:stack=strays\): .*target-group strays-old/);
    expect(run.stderr).toContain('log-group /fargate-prom/strays/old');
    expect(run.stderr).toContain('iam-role strays-legacy');
    expect(run.stderr).toContain('run destroy again in a few minutes');
    // Reported, not deleted: the sweep only looks.
    expect((await stack.aws.elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [strayTg] }))).TargetGroups).toHaveLength(1);
  });
});
