import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CreateServiceCommand, ECSClient } from '@aws-sdk/client-ecs';
import { AwsClients } from '../src/aws/clients.js';
import { parseUpOptions } from '../src/config/options.js';
import type { Context } from '../src/engine/types.js';
import { appService, settlingReason } from '../src/resources/ecs-service.js';
import { makeSpec } from '../src/stack/spec.js';
import { silentReporter, type Reporter } from '../src/ui/reporter.js';
import { setTimeScale } from '../src/util/time.js';

setTimeScale(0.001);

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: {} });
// ECS passes EC2's throttling on in its own, non-retryable error (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html).
const WRAPPED_THROTTLE = 'Error retrieving security group information for [sg-0abc]: Request limit exceeded. (ErrorCode: RequestLimitExceeded)';

const ecs = mockClient(ECSClient);
afterEach(() => ecs.reset());

function context(waits: string[]): Context {
  const reporter: Reporter = { ...silentReporter, waiting: (_k, text) => waits.push(text) };
  const spec = makeSpec('unit', 'us-east-1', parseUpOptions({ appImage: 'ghcr.io/acme/shop:1.4', desiredCount: '1' }), {
    vpcId: 'vpc-0abc1234', subnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'], assignPublicIp: true,
  });
  return {
    aws: new AwsClients({ region: 'us-east-1' }),
    spec,
    states: new Map<string, unknown>([
      ['cluster', { name: 'unit', arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/unit' }],
      ['taskdef:app', { family: 'unit-app', arn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/unit-app:1', revision: 1, fingerprint: {} }],
      ['sg:tasks', { groupId: 'sg-0abc', vpcId: 'vpc-0abc1234', ingress: [] }],
      ['tg:app', { name: 'unit-app', arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/unit-app/0123456789abcdef' }],
    ]),
    reporter,
    signal: new AbortController().signal,
    wait: true,
  };
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
    const state = await appService('unit-app').create(context(waits));
    expect(state.arn).toMatch(/service\/unit\/unit-app$/);
    expect(ecs.commandCalls(CreateServiceCommand)).toHaveLength(2);
    // Both attempts carry the same client token, so a retry can never make a second service.
    const [first, second] = ecs.commandCalls(CreateServiceCommand).map((c) => c.args[0].input.clientToken);
    expect(second).toBe(first);
    expect(waits).toEqual(['ECS service unit-app: EC2 is throttling the calls ECS makes for it (Request limit exceeded)']);
  });
});
