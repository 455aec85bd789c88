import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { TASK_EXECUTION_POLICY_ARN, type RoleState } from '../../src/resources/iam-role.js';
import { STACK_TAG_KEY } from '../../src/stack/spec.js';
import { stackResources } from '../../src/stack/resources.js';
import { silentReporter } from '../../src/ui/reporter.js';
import { canonicalJson } from '../../src/util/json.js';
import { setTimeScale } from '../../src/util/time.js';
import { awsError, inputsOf, resourceContext } from '../support/resource-context.js';

// diff and update of the stack's IAM roles against a mocked IAM: exactly the trust policy and policies
// the stack gives each role, and IAM's eventual consistency right after CreateRole waited out, bounded.
setTimeScale(0.001);
const iam = mockClient(IAMClient);
afterEach(() => iam.reset());

const WORKSPACE_ARN = 'arn:aws:aps:us-east-1:123456789012:workspace/ws-0a1b2c3d';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fargate-prom/unit/grafana-admin-AbCdEf';
const ECS_TRUST = { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' };

/** The stack's roles, with the states their policies name (the workspace and the secret) as up has them. */
function roles(reporter = silentReporter) {
  const ctx = { ...resourceContext(), reporter };
  const stack = stackResources(ctx.spec);
  ctx.states.set(stack.workspace, { workspaceId: 'ws-0a1b2c3d', arn: WORKSPACE_ARN, status: 'ACTIVE' });
  ctx.states.set(stack.secret, { name: 'fargate-prom/unit/grafana-admin', arn: SECRET_ARN });
  return { ctx, stack };
}

const appTaskTrust = {
  Version: '2012-10-17',
  Statement: [{
    ...ECS_TRUST,
    Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': 'arn:aws:ecs:us-east-1:123456789012:*' } },
  }],
};
const remoteWrite = (resource: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'aps:RemoteWrite', Resource: resource }] });
// As observe leaves them: documents in canonical JSON (keys sorted).
const canonical = canonicalJson;

/** The app task role as up leaves it. */
const appTaskAsUpLeavesIt = (): RoleState => ({
  name: 'unit-app-task',
  arn: 'arn:aws:iam::123456789012:role/unit-app-task',
  trustPolicy: canonical(appTaskTrust),
  managedPolicyArns: [],
  inlinePolicies: { 'amp-remote-write': canonical(remoteWrite(WORKSPACE_ARN)) },
});

/** The execution role as up leaves it: the documented trust policy, without conditions. */
const executionAsUpLeavesIt = (): RoleState => ({
  name: 'unit-execution',
  arn: 'arn:aws:iam::123456789012:role/unit-execution',
  trustPolicy: canonical({ Version: '2012-10-17', Statement: [ECS_TRUST] }),
  managedPolicyArns: [TASK_EXECUTION_POLICY_ARN],
  inlinePolicies: {
    'read-grafana-admin-secret': canonical({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: SECRET_ARN }] }),
  },
});

describe('IAM role diff and update', () => {
  it('unchanged: no difference, and update sends nothing', async () => {
    const { ctx, stack } = roles();
    expect(await stack.appTaskRole.diff(ctx, appTaskAsUpLeavesIt())).toEqual([]);
    expect(await stack.appTaskRole.update(ctx, appTaskAsUpLeavesIt(), [])).toEqual(appTaskAsUpLeavesIt());
    expect(await stack.executionRole.diff(ctx, executionAsUpLeavesIt())).toEqual([]);
    await stack.executionRole.update(ctx, executionAsUpLeavesIt(), []);
    expect(iam.calls()).toHaveLength(0);
  });

  it('drifted everywhere: diff names each part, update restores the trust policy and policies and removes the extras', async () => {
    for (const C of [UpdateAssumeRolePolicyCommand, DetachRolePolicyCommand, PutRolePolicyCommand, DeleteRolePolicyCommand]) iam.on(C as typeof PutRolePolicyCommand).resolves({});
    const { ctx, stack } = roles();
    const drifted: RoleState = {
      ...appTaskAsUpLeavesIt(),
      // Someone dropped the confused-deputy conditions, widened the policy and attached more.
      trustPolicy: canonical({ Version: '2012-10-17', Statement: [ECS_TRUST] }),
      managedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
      inlinePolicies: { 'amp-remote-write': canonical(remoteWrite('*')), debug: canonical(remoteWrite('*')) },
    };
    expect(await stack.appTaskRole.diff(ctx, drifted)).toEqual([
      'trust policy',
      'detach arn:aws:iam::aws:policy/AdministratorAccess',
      'inline policy amp-remote-write',
      'remove inline policy debug',
    ]);

    expect(await stack.appTaskRole.update(ctx, drifted, [])).toEqual(appTaskAsUpLeavesIt());
    const [trust] = inputsOf(iam.commandCalls(UpdateAssumeRolePolicyCommand)) as { RoleName: string; PolicyDocument: string }[];
    expect(iam.commandCalls(UpdateAssumeRolePolicyCommand)).toHaveLength(1);
    expect(trust.RoleName).toBe('unit-app-task');
    expect(JSON.parse(trust.PolicyDocument)).toEqual(appTaskTrust);
    expect(inputsOf(iam.commandCalls(DetachRolePolicyCommand))).toEqual([{ RoleName: 'unit-app-task', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }]);
    const puts = inputsOf(iam.commandCalls(PutRolePolicyCommand)) as { RoleName: string; PolicyName: string; PolicyDocument: string }[];
    expect(puts.map((p) => ({ ...p, PolicyDocument: JSON.parse(p.PolicyDocument) }))).toEqual([
      { RoleName: 'unit-app-task', PolicyName: 'amp-remote-write', PolicyDocument: remoteWrite(WORKSPACE_ARN) },
    ]);
    expect(inputsOf(iam.commandCalls(DeleteRolePolicyCommand))).toEqual([{ RoleName: 'unit-app-task', PolicyName: 'debug' }]);
    expect(iam.commandCalls(AttachRolePolicyCommand)).toHaveLength(0);
  });

  it('the execution role without its managed policy: attaches only that, and keeps the trust policy free of conditions', async () => {
    iam.on(AttachRolePolicyCommand).resolves({});
    const { ctx, stack } = roles();
    const state = { ...executionAsUpLeavesIt(), managedPolicyArns: [] };
    expect(await stack.executionRole.diff(ctx, state)).toEqual([`attach ${TASK_EXECUTION_POLICY_ARN}`]);
    await stack.executionRole.update(ctx, state, []);
    expect(inputsOf(iam.commandCalls(AttachRolePolicyCommand))).toEqual([{ RoleName: 'unit-execution', PolicyArn: TASK_EXECUTION_POLICY_ARN }]);
    expect(iam.calls()).toHaveLength(1);
  });
});

describe('IAM role create while IAM propagates the new role', () => {
  const NOT_YET = () => awsError('NoSuchEntityException', 'The role with name unit-execution cannot be found.');

  it('NoSuchEntity for the role right after CreateRole is retried with progress until IAM sees it', async () => {
    iam.on(CreateRoleCommand).resolves({ Role: { RoleName: 'unit-execution', Arn: 'arn:aws:iam::123456789012:role/unit-execution', Path: '/', RoleId: 'AROA1', CreateDate: new Date() } });
    iam.on(AttachRolePolicyCommand).rejectsOnce(NOT_YET()).rejectsOnce(NOT_YET()).resolves({});
    iam.on(PutRolePolicyCommand).rejectsOnce(NOT_YET()).resolves({});
    const waits: string[] = [];
    const { ctx, stack } = roles({ ...silentReporter, waiting: (_k, t) => waits.push(t) });

    const state = await stack.executionRole.create(ctx);
    expect(state).toMatchObject({ name: 'unit-execution', managedPolicyArns: [TASK_EXECUTION_POLICY_ARN] });
    expect(inputsOf(iam.commandCalls(CreateRoleCommand))).toMatchObject([{ RoleName: 'unit-execution', Tags: [{ Key: STACK_TAG_KEY, Value: 'unit' }] }]);
    expect(iam.commandCalls(AttachRolePolicyCommand)).toHaveLength(3);
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(2);
    expect(waits).toHaveLength(3);
    expect(waits[0]).toBe('IAM role unit-execution: IAM has not propagated the new role yet');
  });

  it('a role IAM never shows: gives up within the budget instead of retrying for ever', async () => {
    iam.on(CreateRoleCommand).resolves({ Role: { RoleName: 'unit-execution', Arn: 'arn:aws:iam::123456789012:role/unit-execution', Path: '/', RoleId: 'AROA1', CreateDate: new Date() } });
    iam.on(AttachRolePolicyCommand).rejects(NOT_YET());
    iam.on(PutRolePolicyCommand).resolves({});
    const { ctx, stack } = roles();
    await expect(stack.executionRole.create(ctx)).rejects.toThrow(/^IAM role unit-execution: still failing after .*cannot be found/);
    const attempts = iam.commandCalls(AttachRolePolicyCommand).length;
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThan(100);
  });

  it('NoSuchEntity about something else (a policy that does not exist) fails at once: waiting cannot fix it', async () => {
    iam.on(AttachRolePolicyCommand).rejects(awsError('NoSuchEntityException', `Policy ${TASK_EXECUTION_POLICY_ARN} does not exist or is not attachable.`));
    const { ctx, stack } = roles();
    const state = { ...executionAsUpLeavesIt(), managedPolicyArns: [] };
    await expect(stack.executionRole.update(ctx, state, [])).rejects.toThrow('does not exist or is not attachable');
    expect(iam.commandCalls(AttachRolePolicyCommand)).toHaveLength(1);
    expect(iam.calls()).toHaveLength(1);
  });
});
