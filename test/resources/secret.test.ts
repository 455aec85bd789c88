import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CreateSecretCommand, DescribeSecretCommand, RestoreSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { grafanaSecret, type SecretState } from '../../src/resources/secret.js';
import { STACK_TAG_KEY } from '../../src/stack/spec.js';
import { silentReporter } from '../../src/ui/reporter.js';
import { setTimeScale } from '../../src/util/time.js';
import { awsError, resourceContext } from '../support/resource-context.js';

// The Grafana admin secret against a mocked Secrets Manager. It has no settings to drift (its value is
// generated once and never rewritten), so diff/update must stay silent; what it does have is create's
// handling of an earlier secret of the same name that is still being deleted or is scheduled for deletion.
setTimeScale(0.001);
const sm = mockClient(SecretsManagerClient);
afterEach(() => sm.reset());

const NAME = 'fargate-prom/unit/grafana-admin';
const ARN = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${NAME}-AbCdEf`;
// The messages Secrets Manager answers CreateSecret with (docs/simulation.md).
const MARKED = () => awsError('InvalidRequestException', 'You can\'t perform this operation on the secret because it was marked for deletion.');
const BEING_DELETED = () => awsError('InvalidRequestException', 'You can\'t perform this operation on the secret because it was deleted.');
const scheduled = (tags: { Key: string; Value: string }[]) => ({ ARN, Name: NAME, DeletedDate: new Date('2026-12-01T00:00:00Z'), Tags: tags });

describe('grafana secret diff and update', () => {
  it('has nothing to compare: diff is empty and update returns the state without calling Secrets Manager', async () => {
    const ctx = resourceContext();
    const state: SecretState = { name: NAME, arn: ARN };
    expect(await grafanaSecret(NAME).diff(ctx, state)).toEqual([]);
    expect(await grafanaSecret(NAME).update(ctx, state, [])).toEqual(state);
    expect(sm.calls()).toHaveLength(0);
  });
});

describe('grafana secret create, when an earlier secret of its name is going away', () => {
  it('scheduled for deletion with a recovery window and carrying the stack\'s tag: restored, not recreated', async () => {
    sm.on(CreateSecretCommand).rejects(MARKED());
    sm.on(DescribeSecretCommand).resolves(scheduled([{ Key: STACK_TAG_KEY, Value: 'unit' }]));
    sm.on(RestoreSecretCommand).resolves({ ARN, Name: NAME });
    const infos: string[] = [];
    const ctx = { ...resourceContext(), reporter: { ...silentReporter, info: (t: string) => infos.push(t) } };

    expect(await grafanaSecret(NAME).create(ctx)).toEqual({ name: NAME, arn: ARN });
    expect(sm.commandCalls(CreateSecretCommand)).toHaveLength(1);
    expect(sm.commandCalls(RestoreSecretCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: ARN }]);
    expect(infos).toEqual([`secret ${NAME} was scheduled for deletion: restored it`]);
  });

  it('scheduled for deletion but someone else\'s (another stack\'s tag): refused, never restored', async () => {
    sm.on(CreateSecretCommand).rejects(MARKED());
    sm.on(DescribeSecretCommand).resolves(scheduled([{ Key: STACK_TAG_KEY, Value: 'other' }]));
    await expect(grafanaSecret(NAME).create(resourceContext())).rejects.toThrow(`refusing to touch a resource not owned by this stack: secret ${NAME} (${ARN})`);
    expect(sm.commandCalls(RestoreSecretCommand)).toHaveLength(0);
  });

  it('still being deleted (force-deleted): waited out with progress, retrying with the same client token', async () => {
    sm.on(CreateSecretCommand).rejectsOnce(BEING_DELETED()).rejectsOnce(BEING_DELETED()).resolves({ ARN, Name: NAME });
    const waits: string[] = [];
    const ctx = { ...resourceContext(), reporter: { ...silentReporter, waiting: (_k: string, t: string) => waits.push(t) } };

    expect(await grafanaSecret(NAME).create(ctx)).toEqual({ name: NAME, arn: ARN });
    const creates = sm.commandCalls(CreateSecretCommand).map((c) => c.args[0].input);
    expect(creates).toHaveLength(3);
    expect(new Set(creates.map((c) => c.ClientRequestToken)).size).toBe(1);
    expect(creates[0]).toMatchObject({ Name: NAME, Tags: [{ Key: STACK_TAG_KEY, Value: 'unit' }] });
    expect(waits).toEqual(Array(2).fill(`secret ${NAME}: Secrets Manager is still deleting an earlier secret of this name`));
    // A secret being deleted cannot be restored; create never tries.
    expect(sm.commandCalls(RestoreSecretCommand)).toHaveLength(0);
  });

  it('still being deleted for longer than the wait: gives up, bounded, saying to run up again later', async () => {
    sm.on(CreateSecretCommand).rejects(BEING_DELETED());
    await expect(grafanaSecret(NAME).create(resourceContext())).rejects.toThrow(/creating it: still failing after .*: Secrets Manager is still deleting an earlier secret of this name; run `fargate-prom up` again in a few minutes/);
    const attempts = sm.commandCalls(CreateSecretCommand).length;
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThan(50);
  });
});
