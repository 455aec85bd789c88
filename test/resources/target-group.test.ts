import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { appTargetGroup, type TargetGroupState } from '../../src/resources/target-group.js';
import { NETWORK, resourceContext } from '../support/resource-context.js';

// diff and update of the app's target group against a mocked ELB: what differs is listed, and update
// sends exactly the desired values, nothing when nothing differs.
const elb = mockClient(ElasticLoadBalancingV2Client);
afterEach(() => elb.reset());

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/unit-app/0123456789abcdef';
/** The target group as up leaves it for --health-path /healthz. */
const asUpLeavesIt = (): TargetGroupState => ({
  name: 'unit-app',
  arn: ARN,
  vpcId: NETWORK.vpcId,
  healthCheck: { path: '/healthz', intervalSeconds: 5, timeoutSeconds: 4, healthyThreshold: 2, unhealthyThreshold: 6, matcher: '200-399' },
  deregistrationDelaySeconds: 5,
});

describe('target group diff and update', () => {
  const tg = appTargetGroup('unit-app');
  const ctx = () => resourceContext({ healthPath: '/healthz' });

  it('unchanged: no difference, and update sends nothing', async () => {
    expect(await tg.diff(ctx(), asUpLeavesIt())).toEqual([]);
    await tg.update(ctx(), asUpLeavesIt(), []);
    expect(elb.calls()).toHaveLength(0);
  });

  it('a health check changed in AWS: diff names each field, update sends ModifyTargetGroup with the desired check only', async () => {
    elb.on(ModifyTargetGroupCommand).resolves({});
    const drifted = { ...asUpLeavesIt(), healthCheck: { ...asUpLeavesIt().healthCheck, path: '/', intervalSeconds: 30, matcher: '200' } };
    const diffs = await tg.diff(ctx(), drifted);
    expect(diffs).toEqual(['health check path: / → /healthz', 'health check matcher: 200 → 200-399', 'health check interval: 30 → 5']);

    const after = await tg.update(ctx(), drifted, diffs);
    expect(elb.commandCalls(ModifyTargetGroupCommand).map((c) => c.args[0].input)).toEqual([{
      TargetGroupArn: ARN,
      HealthCheckPath: '/healthz',
      HealthCheckIntervalSeconds: 5,
      HealthCheckTimeoutSeconds: 4,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 6,
      Matcher: { HttpCode: '200-399' },
    }]);
    expect(elb.commandCalls(ModifyTargetGroupAttributesCommand)).toHaveLength(0);
    expect(after).toEqual(asUpLeavesIt());
  });

  it('the default deregistration delay (300 s): diff lists it, update sets 5 s and leaves the health check alone', async () => {
    elb.on(ModifyTargetGroupAttributesCommand).resolves({});
    const fresh = { ...asUpLeavesIt(), deregistrationDelaySeconds: 300 };
    expect(await tg.diff(ctx(), fresh)).toEqual(['deregistration delay: 300 → 5']);
    await tg.update(ctx(), fresh, []);
    expect(elb.commandCalls(ModifyTargetGroupCommand)).toHaveLength(0);
    expect(elb.commandCalls(ModifyTargetGroupAttributesCommand).map((c) => c.args[0].input)).toEqual([{
      TargetGroupArn: ARN,
      Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '5' }],
    }]);
  });

  it('another VPC: diff lists it, update refuses with the fix and calls nothing', async () => {
    const elsewhere = { ...asUpLeavesIt(), vpcId: 'vpc-22222222' };
    expect(await tg.diff(ctx(), elsewhere)).toEqual([`vpc: vpc-22222222 → ${NETWORK.vpcId}`]);
    await expect(tg.update(ctx(), elsewhere, [])).rejects.toThrow(`target group unit-app is in vpc-22222222, not ${NETWORK.vpcId}; a stack cannot move VPCs — run destroy first`);
    expect(elb.calls()).toHaveLength(0);
  });
});
