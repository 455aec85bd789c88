import { CreateLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, GetRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, RestoreSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulation, type Simulation } from '@fargate-prom/aws-sim/testing';
import { ECS_TRUST_POLICY, eventually, expectAwsError, resetMoto, simClients, type SimClients } from './support/sim-fixtures.js';

// Eventual consistency AWS shows and moto does not: each phase is held long (60 s) to observe it, then
// released (setTiming to a few ms) to see it end, so nothing depends on how fast the machine is.
const HELD = 60_000;
const RELEASED = 20;

let sim: Simulation;
let c: SimClients;

beforeAll(async () => {
  sim = await startSimulation();
  c = simClients(sim.endpoint);
});
afterAll(async () => {
  await sim?.stop();
});
beforeEach(async () => {
  await resetMoto(sim);
  sim.setTiming({ secretDeletionMs: HELD, iamPropagationMs: 0, logGroupListingMs: 0 });
});

describe('Secrets Manager deletion in the background', () => {
  it('keeps a force-deleted secret being deleted: DescribeSecret shows DeletedDate, CreateSecret and RestoreSecret refuse its name', async () => {
    const created = await c.secrets.send(new CreateSecretCommand({ Name: 'fp-pass', SecretString: 'x', Tags: [{ Key: 'team', Value: 'a' }] }));
    await c.secrets.send(new DeleteSecretCommand({ SecretId: created.ARN, ForceDeleteWithoutRecovery: true }));

    const described = await c.secrets.send(new DescribeSecretCommand({ SecretId: 'fp-pass' }));
    expect(described.ARN).toBe(created.ARN);
    expect(described.DeletedDate).toBeInstanceOf(Date);
    expect(described.Tags).toEqual([{ Key: 'team', Value: 'a' }]);
    expect((await c.secrets.send(new DescribeSecretCommand({ SecretId: created.ARN }))).DeletedDate).toBeInstanceOf(Date);
    await expectAwsError(c.secrets.send(new CreateSecretCommand({ Name: 'fp-pass', SecretString: 'y' })), 'InvalidRequestException',
      "You can't perform this operation on the secret because it was deleted.");
    await expectAwsError(c.secrets.send(new RestoreSecretCommand({ SecretId: created.ARN })), 'InvalidRequestException', /because it was deleted/);

    sim.setTiming({ secretDeletionMs: RELEASED });
    const gone = await eventually(async () => {
      const err = await c.secrets.send(new DescribeSecretCommand({ SecretId: 'fp-pass' })).then(() => undefined, (e) => e);
      return err?.name === 'ResourceNotFoundException' && err;
    }, 5_000, 'the secret to be gone');
    expect(gone.name).toBe('ResourceNotFoundException');
    const again = await c.secrets.send(new CreateSecretCommand({ Name: 'fp-pass', SecretString: 'y' }));
    expect(again.ARN).not.toBe(created.ARN);
  });

  it('blocks the name of a secret in its recovery window with "marked for deletion", until it is restored', async () => {
    const created = await c.secrets.send(new CreateSecretCommand({ Name: 'fp-window', SecretString: 'x' }));
    await c.secrets.send(new DeleteSecretCommand({ SecretId: created.ARN, RecoveryWindowInDays: 7 }));
    expect((await c.secrets.send(new DescribeSecretCommand({ SecretId: 'fp-window' }))).DeletedDate).toBeInstanceOf(Date);
    await expectAwsError(c.secrets.send(new CreateSecretCommand({ Name: 'fp-window', SecretString: 'y' })), 'InvalidRequestException',
      "You can't perform this operation on the secret because it was marked for deletion.");
    await c.secrets.send(new RestoreSecretCommand({ SecretId: created.ARN }));
    expect((await c.secrets.send(new DescribeSecretCommand({ SecretId: 'fp-window' }))).DeletedDate).toBeUndefined();
  });
});

describe('IAM propagation after CreateRole', () => {
  it('answers NoSuchEntity to calls naming a new role until iamPropagationMs has passed', async () => {
    sim.setTiming({ iamPropagationMs: HELD });
    await c.iam.send(new CreateRoleCommand({ RoleName: 'fp-fresh', AssumeRolePolicyDocument: ECS_TRUST_POLICY }));
    await expectAwsError(c.iam.send(new GetRoleCommand({ RoleName: 'fp-fresh' })), 'NoSuchEntityException', 'The role with name fp-fresh cannot be found.');
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }] });
    await expectAwsError(c.iam.send(new PutRolePolicyCommand({ RoleName: 'fp-fresh', PolicyName: 'p', PolicyDocument: policy })), 'NoSuchEntityException');
    // Other roles are not affected.
    await expectAwsError(c.iam.send(new GetRoleCommand({ RoleName: 'fp-never' })), 'NoSuchEntityException', /fp-never/);

    sim.setTiming({ iamPropagationMs: RELEASED });
    const role = await eventually(() => c.iam.send(new GetRoleCommand({ RoleName: 'fp-fresh' })), 5_000, 'the role to be visible');
    expect(role.Role?.RoleName).toBe('fp-fresh');
    await c.iam.send(new PutRolePolicyCommand({ RoleName: 'fp-fresh', PolicyName: 'p', PolicyDocument: policy }));
  });
});

describe('CloudWatch Logs listing delay', () => {
  it('leaves a new group out of DescribeLogGroups until logGroupListingMs has passed', async () => {
    await c.logs.send(new CreateLogGroupCommand({ logGroupName: '/fp/old' }));
    sim.setTiming({ logGroupListingMs: HELD });
    await c.logs.send(new CreateLogGroupCommand({ logGroupName: '/fp/new' }));
    const names = async () => ((await c.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/fp/' }))).logGroups ?? []).map((g) => g.logGroupName);
    // /fp/old was created under the old timing (0 ms): listed at once.
    expect(await names()).toEqual(['/fp/old']);
    sim.setTiming({ logGroupListingMs: RELEASED });
    expect(await eventually(async () => ((await names()).includes('/fp/new') ? names() : undefined), 5_000, '/fp/new to be listed')).toEqual(['/fp/new', '/fp/old']);
  });
});
