import { beforeAll, describe, expect, it } from 'vitest';
import { CreateRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { CreateLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, DescribeClustersCommand, DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { CreateWorkspaceCommand, ListWorkspacesCommand } from '@aws-sdk/client-amp';
import { DescribeTagsCommand, DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { createIpTargetGroup, simClients } from './support/sim-fixtures.js';
import { describeAll, readStack } from './support/reliability-stack.js';
import { withStack } from './support/stack.js';

const stack = withStack();
const { cli } = stack;
const IMAGE = ['--app-image', 'ghcr.io/acme/shop:1.4'];

describe('ownership: same-named resources without the stack tag are never touched', () => {
  const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  // The stack's names, not its tag.
  const FOREIGN = [
    'iam-role own-execution',
    'log-group /fargate-prom/own/app',
    'security-group own-alb',
    'target-group own-app',
    'ecs-cluster own',
    'amp-workspace own',
  ];
  let targetGroupArn: string;
  let workspaceId: string;

  beforeAll(async () => {
    // Someone else in the same account, so through the simulation as the CLI is.
    const other = simClients(stack.sim.endpoint);
    await other.iam.send(new CreateRoleCommand({ RoleName: 'own-execution', AssumeRolePolicyDocument: TRUST }));
    await other.logs.send(new CreateLogGroupCommand({ logGroupName: '/fargate-prom/own/app', tags: { team: 'someone-else' } }));
    const vpc = (await other.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0];
    await other.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'own-alb', Description: 'not ours', VpcId: vpc.VpcId }));
    targetGroupArn = await createIpTargetGroup(other, vpc.VpcId!, 'own-app');
    await other.ecs.send(new CreateClusterCommand({ clusterName: 'own' }));
    workspaceId = (await other.amp.send(new CreateWorkspaceCommand({ alias: 'own' }))).workspaceId!;
    // Untagged indeed (as moto itself says), so the CLI has only the names to go by.
    expect((await stack.moto.elb.send(new DescribeTagsCommand({ ResourceArns: [targetGroupArn] }))).TagDescriptions?.[0]?.Tags ?? []).toEqual([]);
    expect((await stack.moto.ecs.send(new DescribeClustersCommand({ clusters: ['own'], include: ['TAGS'] }))).clusters?.[0]?.tags ?? []).toEqual([]);
    expect((await stack.moto.amp.send(new ListWorkspacesCommand({ alias: 'own' }))).workspaces?.[0]?.tags ?? {}).toEqual({});
  });

  it('up stops with exit 1 naming every foreign resource, before changing anything', async () => {
    stack.sim.clearCalls();
    const run = await cli(['up', '--name', 'own', ...IMAGE, '--yes']);
    expect(run.code, run.stderr).toBe(1);
    const line = run.stderr.trim().split('\n').pop()!;
    expect(line).toMatch(/^error: refusing to touch 6 resources not owned by this stack: .*\. Choose another --name, or delete or rename them yourself\.$/);
    for (const resource of FOREIGN) expect(line).toContain(resource);
    expect(line).toContain(`target-group own-app (${targetGroupArn})`);
    expect(line).toContain(`amp-workspace own (${workspaceId})`);
    expect(stack.sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('destroy deletes nothing of them and says so', async () => {
    stack.sim.clearCalls();
    const run = await cli(['destroy', '--name', 'own', '--yes']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Nothing to delete');
    expect(stack.sim.calls().filter((c) => c.mutating)).toEqual([]);
    // Each is still there, as moto itself says.
    await expect(stack.moto.iam.send(new GetRoleCommand({ RoleName: 'own-execution' }))).resolves.toBeDefined();
    expect((await stack.moto.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/fargate-prom/own/app' }))).logGroups).toHaveLength(1);
    expect((await stack.moto.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['own-alb'] }] }))).SecurityGroups).toHaveLength(1);
    expect((await stack.moto.elb.send(new DescribeTargetGroupsCommand({ Names: ['own-app'] }))).TargetGroups?.map((t) => t.TargetGroupArn)).toEqual([targetGroupArn]);
    expect((await stack.moto.ecs.send(new DescribeClustersCommand({ clusters: ['own'] }))).clusters?.map((c) => c.status)).toEqual(['ACTIVE']);
    expect((await stack.moto.amp.send(new ListWorkspacesCommand({ alias: 'own' }))).workspaces?.map((w) => [w.workspaceId, w.status?.statusCode])).toEqual([[workspaceId, 'ACTIVE']]);
  });
});

describe('a service whose tasks keep stopping', () => {
  it('up stops waiting early and shows the stopped reason, exit code and the last log lines', async () => {
    stack.sim.failTasks('crash-app', {
      stoppedReason: 'Essential container in task exited',
      exitCode: 137,
      logLines: ['listening on 8080', 'FATAL: DATABASE_URL is not set'],
    });
    const run = await cli(['up', '--name', 'crash', ...IMAGE, '--yes', '--desired-count', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ECS service crash-app is not starting/);
    expect(run.stderr).toContain('Essential container in task exited');
    expect(run.stderr).toMatch(/container app: exit code 137/);
    expect(run.stderr).toContain('FATAL: DATABASE_URL is not set');
    // It says what was done and how to go on.
    expect(run.stderr).toMatch(/run `fargate-prom up` again/);
  });

  it('once healed, the next up finishes the job without duplicating anything', async () => {
    stack.sim.failTasks('crash-app', undefined);
    const run = await cli(['up', '--name', 'crash', ...IMAGE, '--yes', '--desired-count', '1', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const actions = run.json().resources.map((r: any) => r.action);
    expect(actions.filter((a: string) => a === 'create')).toEqual([]);
    const svcs = await stack.moto.ecs.send(new DescribeServicesCommand({ cluster: 'crash', services: ['crash-app'] }));
    expect(svcs.services).toHaveLength(1);
    const down = await cli(['destroy', '--name', 'crash', '--yes', '--json']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.json().leftovers).toEqual([]);
    // Checked in moto (aws talks to it directly), not through the CLI: nothing of the stack is left.
    expect(describeAll(await readStack(stack.moto, 'crash'))).toEqual([]);
  });
});

describe('an AMP workspace stuck in CREATION_FAILED', () => {
  it('up stops with one line naming the workspace, its state and the way out; the app service, which writes to it, is not made', async () => {
    stack.sim.failWorkspaces('ampfail', true);
    const run = await cli(['up', '--name', 'ampfail', ...IMAGE, '--yes', '--json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: amp-workspace ampfail: AMP workspace ws-[0-9a-f-]+ is CREATION_FAILED, not ACTIVE; run `fargate-prom destroy` and then `up` again$/m);
    // The app service, whose agent writes to the workspace, waits for it to be ACTIVE: never made. (Roles and
    // task definitions need only its ARN and may be made meanwhile; the destroy below removes them.)
    const created = run.json().resources.filter((r: any) => r.action === 'create').map((r: any) => `${r.kind} ${r.name}`);
    expect(created).not.toContain('ecs-service ampfail-app');
    expect(run.stderr).toMatch(/not started: .*ecs-service ampfail-app/);
    // And in AWS: no such service (read from moto directly, not through the CLI).
    expect(describeAll(await readStack(stack.moto, 'ampfail'))).not.toContain('services <stack>-app');
    const status = await cli(['status', '--name', 'ampfail', '--json']);
    expect(status.code).toBe(3);
    expect(status.json().resources.find((r: any) => r.kind === 'amp-workspace')).toMatchObject({ state: 'CREATION_FAILED', healthy: false });
  });

  it('destroy deletes the failed workspace; once AWS is fine again, up builds the stack', async () => {
    const down = await cli(['destroy', '--name', 'ampfail', '--yes', '--json']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.json().leftovers).toEqual([]);
    // Checked in moto (aws talks to it directly), not through the CLI: the failed workspace and the rest are gone.
    expect(describeAll(await readStack(stack.moto, 'ampfail'))).toEqual([]);
    stack.sim.failWorkspaces('ampfail', false);
    const up = await cli(['up', '--name', 'ampfail', ...IMAGE, '--yes', '--desired-count', '1', '--json']);
    expect(up.code, up.stderr).toBe(0);
    expect((await cli(['destroy', '--name', 'ampfail', '--yes'])).code).toBe(0);
  });
});

describe('--no-wait', () => {
  it('applies the changes without waiting for the services and says so', async () => {
    // Tasks that take a minute to start: status right after must still see them starting, however slow the machine.
    stack.sim.setTiming({ serviceStartMs: 60_000 });
    const run = await cli(['up', '--name', 'nowait', ...IMAGE, '--yes', '--no-wait']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Not waiting for the services (--no-wait)');
    expect(run.stderr).not.toMatch(/service nowait-app: \d\/\d running/);
    const status = await cli(['status', '--name', 'nowait', '--json']);
    // Right after, the tasks are still starting: status says so with exit 3.
    expect(status.code).toBe(3);
    expect(status.json().healthy).toBe(false);
    expect(status.json().resources.find((r: any) => r.name === 'nowait-app' && r.kind === 'ecs-service').detail).toMatchObject({ running: 0, rolloutState: 'IN_PROGRESS' });
    stack.sim.setTiming({ serviceStartMs: 1500 });
    const down = await cli(['destroy', '--name', 'nowait', '--yes']);
    expect(down.code, down.stderr).toBe(0);
  });
});
