import { afterEach, describe, expect, it } from 'vitest';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeRulesCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DEFAULT_TIMING } from '@fargate-prom/aws-sim/testing';
import { eventually } from './support/sim-fixtures.js';
import { describeAll, readStack } from './support/reliability-stack.js';
import { simEnv } from './support/cli.js';
import { withStack } from './support/stack.js';

// The CLI's waits and retries, driven through the simulation: a phase is held (a long duration) until the
// test has seen the CLI wait on it, then released, so nothing here depends on how fast the machine is.

const stack = withStack();
const { cli } = stack;
const IMAGE = ['--app-image', 'ghcr.io/acme/shop:1.4', '--desired-count', '1'];
const HOLD = 3_600_000;
// Wait limits at this scale: AMP and ALB 10 min → 1.2 s, services 15 min → 1.8 s.
const SHORT_LIMITS = simEnv({ FARGATE_PROM_TIME_SCALE: '0.002' });
const IAM_STOP = "ECS was unable to assume the role 'arn:aws:iam::123456789012:role/iamwait-execution' that was provided for this task. " +
  'Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.';

const calls = (action: string) => stack.sim.calls().filter((c) => c.action === action);
const failedCalls = (action: string) => calls(action).filter((c) => c.status >= 400);

afterEach(() => stack.sim.setTiming(DEFAULT_TIMING));

describe('IAM propagation', () => {
  it('CreateService refused while the new roles are not assumable yet is retried with a progress line, and up succeeds', async () => {
    stack.sim.setTiming({ roleWarmupMs: HOLD });
    stack.sim.clearCalls();
    const running = cli(['up', '--name', 'iamretry', ...IMAGE, '--yes', '--json']);
    // Release the roles once ECS has refused a CreateService because of them.
    await eventually(async () => failedCalls('CreateService').length > 0, 60_000, 'a refused CreateService');
    stack.sim.setTiming({ roleWarmupMs: 0 });
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/waiting: ECS service iamretry-(app|grafana): IAM is still propagating the new roles/);
    // Both services were created in the end; at least one of them only on a later attempt.
    expect(calls('CreateService').length).toBeGreaterThan(2);
    expect(calls('CreateService').filter((c) => c.status === 200)).toHaveLength(2);
    expect(run.json().resources.filter((r: any) => r.kind === 'ecs-service').map((r: any) => r.action)).toEqual(['create', 'create']);
  });

  it('security groups held by lingering ENIs are retried on destroy until released, with a progress line', async () => {
    stack.sim.setTiming({ eniLingerMs: HOLD });
    stack.sim.clearCalls();
    const running = cli(['destroy', '--name', 'iamretry', '--yes', '--json']);
    await eventually(async () => failedCalls('DeleteSecurityGroup').length >= 2, 60_000, 'two refused DeleteSecurityGroup calls');
    stack.sim.setTiming({ eniLingerMs: 0 });
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    // The EFS group (its mount targets go first) or the tasks' group, whichever is refused first.
    expect(run.stderr).toMatch(/waiting: security group iamretry-(efs|tasks) still attached to network interfaces that AWS releases a few minutes after tasks and load balancers stop/);
    // All three groups (ALB, tasks, EFS) deleted in the end, after the refusals.
    expect(calls('DeleteSecurityGroup').filter((c) => c.status === 200)).toHaveLength(3);
    expect(run.json().leftovers).toEqual([]);
  });

  it('tasks stopped because ECS cannot assume the roles this run just created do not end the wait; up succeeds once IAM catches up', async () => {
    // A crash loop of one stopped task every 100 ms, each for the IAM reason.
    stack.sim.setTiming({ serviceStartMs: 100 });
    stack.sim.failTasks('iamwait-app', { stoppedReason: IAM_STOP, exitCode: 1 });
    const running = cli(['up', '--name', 'iamwait', ...IMAGE, '--yes', '--json']);
    // Well past the 3 stopped tasks after which the CLI gives up on an ordinary crash loop.
    await eventually(async () => {
      const svc = (await stack.aws.ecs.send(new DescribeServicesCommand({ cluster: 'iamwait', services: ['iamwait-app'] }))).services?.[0];
      return (svc?.deployments?.[0]?.failedTasks ?? 0) >= 6;
    }, 60_000, 'six stopped tasks');
    stack.sim.failTasks('iamwait-app', undefined);
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/waiting: ECS service iamwait-app: \d+ task\(s\) stopped because ECS could not assume the roles this run just created; IAM is still propagating them, so these do not count as failures \(waiting up to 15m00s\)/);
  });

  it('once the roles are not new, tasks stopped for that reason count like any other and end the wait early', async () => {
    stack.sim.setTiming({ serviceStartMs: 100 });
    stack.sim.failTasks('iamwait-app', { stoppedReason: IAM_STOP, exitCode: 1 });
    // A new revision (new scrape interval) starts a new deployment with the roles as they are.
    const run = await cli(['up', '--name', 'iamwait', ...IMAGE, '--scrape-interval', '30s', '--yes']);
    stack.sim.failTasks('iamwait-app', undefined);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ECS service iamwait-app is not starting: \d+ tasks stopped/);
    expect(run.stderr).toContain('ECS was unable to assume the role');
    expect(run.stderr).not.toContain('do not count as failures');
  });
});

describe('launch failures that show only in the service events', () => {
  // ECS's own wording for a Fargate service that cannot place its tasks (service-event-messages).
  const QUOTA = "was unable to place a task. Reason: You've reached the limit on the number of tasks you can run concurrently.";
  const ASSUME = "failed to launch a task with (error ECS was unable to assume the role 'arn:aws:iam::123456789012:role/slowlaunch-execution' " +
    'that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions ' +
    'and that your IAM user has permissions to pass this role.).';
  const appPolls = () => calls('DescribeServices').length;

  it('a failure that no task start answers stops up after the window, not the 15-minute bound, with the event text (exit 1)', async () => {
    stack.sim.failLaunches('nolaunch-app', QUOTA);
    stack.sim.clearCalls();
    const run = await cli(['up', '--name', 'nolaunch', ...IMAGE, '--yes']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`up stopped: ecs-service nolaunch-app: ECS service nolaunch-app cannot launch tasks: (service nolaunch-app) ${QUOTA}`);
    expect(run.stderr).toMatch(/no task started for 2m00s; service events seen:\n {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}\(service nolaunch-app\) was unable to place a task/);
    expect(run.stderr).not.toContain('timed out');
    // No task ever stopped: the stop came from the events alone, long before the 15-minute bound
    // (180 polls at 5 s) that the wait would otherwise have run into.
    expect(run.stderr).not.toMatch(/tasks stopped/);
    expect(appPolls()).toBeLessThan(180);
    expect(run.stderr).toContain('run `fargate-prom up` again to finish the job');
    // In AWS: the service is there, with the event and no running task.
    const svc = (await stack.aws.ecs.send(new DescribeServicesCommand({ cluster: 'nolaunch', services: ['nolaunch-app'] }))).services![0];
    expect(svc.runningCount).toBe(0);
    expect(svc.events?.[0]?.message).toBe(`(service nolaunch-app) ${QUOTA}`);
  });

  it('once the cause is fixed, up again finishes the job (exit 0)', async () => {
    stack.sim.failLaunches('nolaunch-app', undefined);
    const run = await cli(['up', '--name', 'nolaunch', ...IMAGE, '--yes']);
    expect(run.code, run.stderr).toBe(0);
    const svc = (await stack.aws.ecs.send(new DescribeServicesCommand({ cluster: 'nolaunch', services: ['nolaunch-app'] }))).services![0];
    expect(svc.runningCount).toBe(1);
  });

  it('a failure healed within the window (a new role becoming assumable) lets up succeed, with a progress line', async () => {
    stack.sim.failLaunches('slowlaunch-app', ASSUME);
    let sawWait!: () => void;
    const waited = new Promise<void>((resolve) => (sawWait = resolve));
    // A wider scale (window 6 s) so the test heals well inside the window on a busy machine.
    const running = cli(['up', '--name', 'slowlaunch', ...IMAGE, '--yes'], simEnv({ FARGATE_PROM_TIME_SCALE: '0.05' }), {
      onStderr: (err) => { if (err.includes('ECS service slowlaunch-app cannot launch tasks yet')) sawWait(); },
    });
    await waited;
    stack.sim.failLaunches('slowlaunch-app', undefined);
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`waiting: ECS service slowlaunch-app cannot launch tasks yet ((service slowlaunch-app) ${ASSUME}); ECS retries`);
    // In AWS: a task started after the failure event, and the service runs.
    const svc = (await stack.aws.ecs.send(new DescribeServicesCommand({ cluster: 'slowlaunch', services: ['slowlaunch-app'] }))).services![0];
    expect(svc.runningCount).toBe(1);
    const messages = (svc.events ?? []).map((e) => e.message);
    expect(messages.indexOf('(service slowlaunch-app) has started 1 tasks.')).toBeLessThan(messages.indexOf(`(service slowlaunch-app) ${ASSUME}`));
  });
});

describe('bounded waits end with a clear timeout, exit 1 and what was done', () => {
  it('AMP workspace that stays CREATING', async () => {
    // Roles assumable at once: the rest of the stack, which needs the workspace only created, goes ahead.
    stack.sim.setTiming({ ampCreateMs: HOLD, albProvisionMs: 50, roleWarmupMs: 0 });
    const run = await cli(['up', '--name', 'ampslow', ...IMAGE, '--yes'], SHORT_LIMITS);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/up stopped: amp-workspace ampslow: timed out after 10m00s waiting for AMP workspace ws-[0-9a-f-]+ to become ACTIVE; last seen: CREATING/);
    expect(run.stderr).toMatch(/done before it stopped: .*create log-group \/fargate-prom\/ampslow\/app/);
    // The app service waits for the workspace to be ACTIVE (its agent writes to it from the first scrape).
    expect(run.stderr).toMatch(/not started: .*ecs-service ampslow-app/);
    // In AWS too: the roles and task definitions (they need only the workspace's ARN) are there, the app service is not.
    const present = describeAll(await readStack(stack.aws, 'ampslow'));
    expect(present).toContain('roles <stack>-app-task');
    expect(present).not.toContain('services <stack>-app');
    expect(run.stderr).toContain('run `fargate-prom up` again to finish the job');
  });

  it('load balancer that stays provisioning', async () => {
    // Roles usable at once: the services now start while the ALB provisions, and IAM's warm-up would
    // outlast their shrunk retry budget before the ALB's wait runs out.
    stack.sim.setTiming({ albProvisionMs: HOLD, ampCreateMs: 50, roleWarmupMs: 0 });
    stack.sim.clearCalls();
    const run = await cli(['up', '--name', 'albslow', ...IMAGE, '--yes'], SHORT_LIMITS);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/up stopped: load-balancer albslow-alb: timed out after 10m00s waiting for load balancer albslow-alb to become active; last seen: provisioning/);
    expect(run.stderr).toMatch(/done before it stopped: .*create security-group albslow-alb/);
    // The listeners need only the ALB's ARN: they went in while it provisioned.
    expect(calls('CreateListener').filter((c) => c.status === 200)).toHaveLength(1);
  });

  it('listeners, rules and services go in while the load balancer provisions; targets stay initial until it is active', async () => {
    stack.sim.setTiming({ albProvisionMs: HOLD, ampCreateMs: 50, roleWarmupMs: 0 });
    stack.sim.clearCalls();
    // Waits of up to 10 min × 0.05 = 30 s: the ALB is held until the test has seen what it checks.
    const running = cli(['up', '--name', 'albearly', ...IMAGE, '--yes', '--json'], simEnv({ FARGATE_PROM_TIME_SCALE: '0.05' }));
    await eventually(async () => calls('CreateService').filter((c) => c.status === 200).length === 2, 60_000, 'both services created');
    const lb = (await stack.aws.elb.send(new DescribeLoadBalancersCommand({ Names: ['albearly-alb'] }))).LoadBalancers![0];
    expect(lb.State?.Code).toBe('provisioning');
    // In moto: the listener and both rules are on the provisioning ALB.
    const listeners = (await stack.moto.elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners!;
    expect(listeners.map((l) => l.Port)).toEqual([80]);
    const rules = (await stack.moto.elb.send(new DescribeRulesCommand({ ListenerArn: listeners[0].ListenerArn }))).Rules!;
    expect(rules.filter((r) => !r.IsDefault).map((r) => r.Priority).sort()).toEqual(['10', '5']);
    // The tasks run (image pulls done), but their targets wait for the load balancer.
    const app = (await stack.aws.elb.send(new DescribeTargetGroupsCommand({ Names: ['albearly-app'] }))).TargetGroups![0];
    const targets = await eventually(async () => {
      const t = (await stack.aws.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: app.TargetGroupArn }))).TargetHealthDescriptions!;
      return t.length > 0 && t;
    }, 30_000, 'the app task registered');
    expect(targets.map((t) => t.TargetHealth?.State)).toEqual(['initial']);
    expect(targets[0].TargetHealth?.Reason).toBe('Elb.RegistrationInProgress');
    const released = Date.now();
    stack.sim.setTiming({ albProvisionMs: 0 });
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    for (const action of ['CreateListener', 'CreateRule', 'CreateService']) {
      expect(calls(action).length, action).toBeGreaterThan(0);
      expect(calls(action).every((c) => c.at < released), action).toBe(true);
    }
    const after = (await stack.aws.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: app.TargetGroupArn }))).TargetHealthDescriptions!;
    expect(after.map((t) => t.TargetHealth?.State)).toEqual(['healthy']);
  });

  it('destroy deletes the load balancer while the services still drain, then the rest', async () => {
    stack.sim.setTiming({ drainMs: HOLD });
    stack.sim.clearCalls();
    const running = cli(['destroy', '--name', 'albearly', '--yes', '--json'], simEnv({ FARGATE_PROM_TIME_SCALE: '0.05' }));
    await eventually(async () => calls('DeleteLoadBalancer').some((c) => c.status === 200), 60_000, 'the load balancer deleted');
    // Both services are still DRAINING (held), in AWS's view.
    const cluster = 'albearly';
    const services = (await stack.aws.ecs.send(new DescribeServicesCommand({ cluster, services: ['albearly-app', 'albearly-grafana'] }))).services!;
    expect(services.map((s) => s.status)).toEqual(['DRAINING', 'DRAINING']);
    stack.sim.setTiming({ drainMs: 0 });
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().leftovers).toEqual([]);
    expect(describeAll(await readStack(stack.moto, 'albearly'))).toEqual([]);
  });

  it('ECS services whose tasks never start', async () => {
    stack.sim.setTiming({ serviceStartMs: HOLD, ampCreateMs: 50, albProvisionMs: 50, roleWarmupMs: 0 });
    const run = await cli(['up', '--name', 'svcslow', ...IMAGE, '--yes'], SHORT_LIMITS);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/up stopped: ecs-service svcslow-(app|grafana): timed out after 15m00s waiting for ECS service svcslow-(app|grafana) to become steady \(0\/1 running, rollout IN_PROGRESS, targets 0\/0 healthy\)/);
    expect(run.stderr).toMatch(/done before it stopped: .*create task-definition svcslow-app/);
  });
});
