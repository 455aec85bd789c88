import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchLogsClient, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { logGroup, type LogGroupState } from '../../src/resources/log-group.js';
import { resourceContext } from '../support/resource-context.js';

// diff and update of a log group against a mocked CloudWatch Logs: the retention is the one setting.
const logs = mockClient(CloudWatchLogsClient);
afterEach(() => logs.reset());

const NAME = '/fargate-prom/unit/app';
const state = (retentionDays?: number): LogGroupState => ({ name: NAME, arn: `arn:aws:logs:us-east-1:123456789012:log-group:${NAME}`, retentionDays });

describe('log group diff and update', () => {
  const group = logGroup('lg:app', NAME);

  it('unchanged: no difference, and update sends nothing', async () => {
    const ctx = resourceContext({ logRetention: '14' });
    expect(await group.diff(ctx, state(14))).toEqual([]);
    expect(await group.update(ctx, state(14), [])).toEqual(state(14));
    expect(logs.calls()).toHaveLength(0);
  });

  it('another retention: diff names it, update sends PutRetentionPolicy with the new value', async () => {
    logs.on(PutRetentionPolicyCommand).resolves({});
    const ctx = resourceContext({ logRetention: '30' });
    expect(await group.diff(ctx, state(14))).toEqual(['retention days: 14 → 30']);
    expect(await group.update(ctx, state(14), [])).toEqual(state(30));
    expect(logs.commandCalls(PutRetentionPolicyCommand).map((c) => c.args[0].input)).toEqual([{ logGroupName: NAME, retentionInDays: 30 }]);
  });

  it('a group kept forever (no retention): diff shows (none), update sets the flag\'s default of 7 days', async () => {
    logs.on(PutRetentionPolicyCommand).resolves({});
    const ctx = resourceContext();
    expect(await group.diff(ctx, state(undefined))).toEqual(['retention days: (none) → 7']);
    await group.update(ctx, state(undefined), []);
    expect(logs.commandCalls(PutRetentionPolicyCommand).map((c) => c.args[0].input)).toEqual([{ logGroupName: NAME, retentionInDays: 7 }]);
  });
});
