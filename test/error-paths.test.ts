import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DeleteSecurityGroupCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateServiceCommand, ECSClient } from '@aws-sdk/client-ecs';
import { AwsClients } from '../src/aws/clients.js';
import { describeError } from '../src/aws/errors.js';
import { pollUntil, retryWhile } from '../src/aws/retry.js';
import { TimeoutError } from '../src/errors.js';
import type { Context } from '../src/resources/context.js';
import { albSecurityGroup } from '../src/resources/security-group.js';
import { makeSpec } from '../src/stack/spec.js';
import type { Reporter } from '../src/ui/reporter.js';
import { silentReporter } from '../src/ui/reporter.js';
import { setTimeScale } from '../src/util/time.js';

setTimeScale(0.001);

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name, $metadata: {} });

function context(waits: string[] = []): Context {
  const reporter: Reporter = { ...silentReporter, waiting: (_k, text) => waits.push(text) };
  return {
    aws: new AwsClients({ region: 'us-east-1' }),
    spec: makeSpec('unit', 'us-east-1'),
    states: new Map(),
    reporter,
    signal: new AbortController().signal,
    wait: true,
  };
}

const ec2 = mockClient(EC2Client);
const ecs = mockClient(ECSClient);
afterEach(() => {
  ec2.reset();
  ecs.reset();
});

describe('error paths (SDK mocked)', () => {
  it('a security group still held by ENIs is retried with a message, then deleted', async () => {
    ec2.on(DeleteSecurityGroupCommand)
      .rejectsOnce(awsError('DependencyViolation', 'resource sg-1 has a dependent object'))
      .rejectsOnce(awsError('DependencyViolation', 'resource sg-1 has a dependent object'))
      .resolves({});
    const waits: string[] = [];
    await albSecurityGroup('unit-alb').delete(context(waits), { groupId: 'sg-1', vpcId: 'vpc-1', ingress: [] });
    expect(ec2.commandCalls(DeleteSecurityGroupCommand)).toHaveLength(3);
    expect(waits[0]).toMatch(/unit-alb still attached to network interfaces/);
  });

  it('an already deleted security group counts as deleted', async () => {
    ec2.on(DeleteSecurityGroupCommand).rejects(awsError('InvalidGroup.NotFound'));
    await expect(albSecurityGroup('unit-alb').delete(context(), { groupId: 'sg-1', vpcId: 'vpc-1', ingress: [] })).resolves.toBeUndefined();
  });

  it('retryWhile gives up when its budget is spent, naming what it tried and why', async () => {
    let calls = 0;
    const attempt = retryWhile(async () => {
      calls++;
      throw awsError('InvalidParameterException', 'The target group does not have an associated load balancer.');
    }, { what: 'creating ECS service x', budgetMs: 400_000, firstDelayMs: 5_000, maxDelayMs: 50_000, retryWhen: () => 'attaching' }); // × the 0.001 time scale
    await expect(attempt).rejects.toThrow(/creating ECS service x: still failing after .*does not have an associated load balancer/);
    await expect(attempt).rejects.toMatchObject({ code: 'RETRIES_EXHAUSTED', exitCode: 1 });
    expect(calls).toBeGreaterThan(1);
  });

  it('pollUntil gives up with a TimeoutError (code TIMEOUT) naming what it waited for and the last state seen', async () => {
    let polls = 0;
    const err = await pollUntil(async () => `CREATING ${++polls}`, () => false, {
      what: 'workspace x to become ACTIVE',
      timeoutMs: 60_000, // × the 0.001 time scale
      intervalMs: 5_000,
      explain: (v) => v,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'TIMEOUT', exitCode: 1, what: 'workspace x to become ACTIVE', timeoutMs: 60_000 });
    expect((err as TimeoutError).message).toBe(`timed out after 1m00s waiting for workspace x to become ACTIVE; last seen: CREATING ${polls}`);
    expect(polls).toBeGreaterThan(1);
  });

  it('retryWhile does not retry what time will not fix', async () => {
    let calls = 0;
    await expect(retryWhile(async () => {
      calls++;
      throw awsError('AccessDeniedException', 'not allowed');
    }, { what: 'x', budgetMs: 1000, retryWhen: () => undefined })).rejects.toThrow('not allowed');
    expect(calls).toBe(1);
  });

  it('describeError turns credential, permission and network failures into one actionable line', () => {
    expect(describeError(awsError('CredentialsProviderError', 'Could not load credentials from any providers'))).toMatch(/no AWS credentials found.*--profile/);
    expect(describeError(awsError('ExpiredTokenException', 'The security token included in the request is expired'))).toMatch(/expired; refresh them/);
    expect(describeError(awsError('AccessDeniedException', 'User x is not authorized to perform: iam:PassRole'))).toBe('not permitted by IAM: User x is not authorized to perform: iam:PassRole');
    expect(describeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }))).toMatch(/cannot reach the AWS endpoint/);
    expect(describeError(awsError('ThrottlingException', 'Rate exceeded'))).toMatch(/kept throttling.*resumes where it stopped/);
    for (const line of [describeError(awsError('X', 'a\nb'))]) expect(line).not.toContain('\n');
  });

  it('the mocked ECS client is the one the CLI builds (guards the mock setup itself)', async () => {
    ecs.on(CreateServiceCommand).rejects(awsError('InvalidParameterException', 'nope'));
    await expect(context().aws.ecs.send(new CreateServiceCommand({ serviceName: 's' }))).rejects.toThrow('nope');
  });
});
