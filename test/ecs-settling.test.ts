import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CreateServiceCommand, ECSClient } from '@aws-sdk/client-ecs';
import { AwsClients } from '../src/aws/clients.js';
import { parseUpOptions } from '../src/config/options.js';
import { newContext } from '../src/resources/context.js';
import { settlingReason } from '../src/resources/ecs-service.js';
import { stackResources } from '../src/stack/resources.js';
import { LaunchFailureWatch, isLaunchFailure, pendingLaunchFailures } from '../src/resources/ecs-launch-failures.js';
import { makeSpec } from '../src/stack/spec.js';
import { silentReporter, type Reporter } from '../src/ui/reporter.js';
import { setTimeScale } from '../src/util/time.js';

setTimeScale(0.001);

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: {} });
// ECS passes EC2's throttling on in its own, non-retryable error (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html).
const WRAPPED_THROTTLE = 'Error retrieving security group information for [sg-0abc]: Request limit exceeded. (ErrorCode: RequestLimitExceeded)';

const ecs = mockClient(ECSClient);
afterEach(() => ecs.reset());

/** The stack's app service, with the states its create reads (cluster, task definition, security group, target group). */
function appServiceReady(waits: string[]) {
  const reporter: Reporter = { ...silentReporter, waiting: (_k, text) => waits.push(text) };
  const spec = makeSpec('unit', 'us-east-1', parseUpOptions({ appImage: 'ghcr.io/acme/shop:1.4', desiredCount: '1' }), {
    vpcId: 'vpc-0abc1234', subnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'], assignPublicIp: true,
  });
  const ctx = newContext({ aws: new AwsClients({ region: 'us-east-1' }), spec, reporter, signal: new AbortController().signal, wait: true });
  const stack = stackResources(spec);
  ctx.states.set(stack.cluster, { name: 'unit', arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/unit' });
  ctx.states.set(stack.appTaskDefinition, { family: 'unit-app', arn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/unit-app:1', revision: 1, fingerprint: {} });
  ctx.states.set(stack.tasksSecurityGroup, { groupId: 'sg-0abc', vpcId: 'vpc-0abc1234', ingress: [] });
  ctx.states.set(stack.appTargetGroup, { name: 'unit-app', arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/unit-app/0123456789abcdef' });
  return { ctx, service: stack.appService };
}

describe('errors ECS returns while a new stack settles', () => {
  it('EC2 throttling wrapped in InvalidParameterException is worth waiting out; other invalid parameters are not', () => {
    expect(settlingReason(awsError('InvalidParameterException', WRAPPED_THROTTLE))).toMatch(/EC2 is throttling/);
    expect(settlingReason(awsError('InvalidParameterException', 'The target group with targetGroupArn x does not have an associated load balancer.'))).toMatch(/attaching the target group/);
    expect(settlingReason(awsError('InvalidParameterException', "ECS was unable to assume the role 'arn:aws:iam::123456789012:role/x'"))).toMatch(/IAM is still propagating/);
    expect(settlingReason(awsError('InvalidParameterException', 'Creation of service was not idempotent.'))).toBeUndefined();
  });

  it('CreateService refused with a wrapped "Request limit exceeded" is retried with a progress line, then succeeds', async () => {
    ecs.on(CreateServiceCommand)
      .rejectsOnce(awsError('InvalidParameterException', WRAPPED_THROTTLE))
      .resolves({ service: { serviceName: 'unit-app', serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/unit/unit-app', status: 'ACTIVE', taskDefinition: 'td', desiredCount: 1 } });
    const waits: string[] = [];
    const { ctx, service } = appServiceReady(waits);
    const state = await service.create(ctx);
    expect(state.arn).toMatch(/service\/unit\/unit-app$/);
    expect(ecs.commandCalls(CreateServiceCommand)).toHaveLength(2);
    // Both attempts carry the same client token, so a retry can never make a second service.
    const [first, second] = ecs.commandCalls(CreateServiceCommand).map((c) => c.args[0].input.clientToken);
    expect(second).toBe(first);
    expect(waits).toEqual(['ECS service unit-app: EC2 is throttling the calls ECS makes for it (Request limit exceeded)']);
  });
});

describe('service events that mean ECS cannot launch the tasks', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, s));
  const deployment = { id: 'ecs-svc/1', createdAt: at(10), runningCount: 0 };
  const ev = (s: number, message: string) => ({ id: `e${s}`, createdAt: at(s), message });
  const ASSUME = "(service x) failed to launch a task with (error ECS was unable to assume the role 'arn:aws:iam::123456789012:role/x-execution' that was provided for this task.)";

  it('counts only failures of this deployment that no task start has followed, and not stopped tasks', () => {
    const events = [
      ev(40, '(service x) task 0123 stopped: ECS was unable to assume the role arn:aws:iam::123456789012:role/x'),
      ev(30, '(service x) was unable to place a task because no container instance met all of its requirements.'),
      ev(20, '(service x) has started 1 tasks: (task 0abc).'),
      ev(15, ASSUME),
      ev(5, '(service x) is unable to consistently start tasks successfully.'),
    ];
    expect(pendingLaunchFailures({ events }, deployment).map((e) => e.id)).toEqual(['e30']);
    expect(isLaunchFailure('(service x) has reached a steady state.')).toBe(false);
  });

  it('is fatal only once the same streak has lasted the window; a task start in between begins it again', () => {
    let now = 0;
    const watch = new LaunchFailureWatch(120_000, () => now);
    const failing = { events: [ev(15, ASSUME)] };
    expect(watch.check(failing, deployment)).toBeUndefined();
    expect(watch.pending?.message).toBe(ASSUME);
    now = 100_000;
    expect(watch.check({ events: [ev(20, '(service x) has started 1 tasks: (task 0abc).'), ev(15, ASSUME)] }, deployment)).toBeUndefined();
    expect(watch.pending).toBeUndefined();
    const again = { events: [ev(25, ASSUME), ev(20, '(service x) has started 1 tasks: (task 0abc).'), ev(15, ASSUME)] };
    now = 110_000;
    expect(watch.check(again, deployment)).toBeUndefined();
    now = 229_999;
    expect(watch.check(again, deployment)).toBeUndefined();
    now = 230_000;
    expect(watch.check(again, deployment)?.map((e) => e.id)).toEqual(['e25']);
    // The table lists every failure seen during the wait, newest first.
    expect(watch.table()).toBe(`  ${at(25).toISOString()}  ${ASSUME}\n  ${at(15).toISOString()}  ${ASSUME}`);
  });

  it('a running task of the deployment means it can launch, whatever the events say', () => {
    const watch = new LaunchFailureWatch(0, () => 0);
    expect(watch.check({ events: [ev(15, ASSUME)] }, { ...deployment, runningCount: 1 })).toBeUndefined();
  });
});
