import { DeleteSecretCommand, DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import type { CliRun, RunCliOptions } from './support/cli.js';
import { withStack } from './support/stack.js';
import { readStack } from './support/reliability-stack.js';

// AWS's eventual consistency, which moto does not show, switched on in the simulation: a secret
// still being deleted after destroy, IAM not finding a role just created, a log group not yet listed.
// A phase is held (60 s) and released (a few ms) from the test, never timed.
const HELD = 60_000;
const RELEASED = 20;
const IMAGE = 'public.ecr.aws/docker/library/node:20-alpine';

const fixture = withStack({
  timing: { serviceStartMs: 300, targetHealthyMs: 100, albProvisionMs: 150, ampCreateMs: 150, ampDeleteMs: 100, roleWarmupMs: 150, drainMs: 150, eniLingerMs: 200 },
});

const cli = (args: string[], opts?: RunCliOptions) => fixture.cli([...args, '--yes', '--json'], undefined, opts);
const up = (stack: string, opts?: RunCliOptions) => cli(['up', '--name', stack, '--app-image', IMAGE, '--log-retention', '14'], opts);
const destroy = (stack: string) => cli(['destroy', '--name', stack]);
const secretName = (stack: string) => `fargate-prom/${stack}/grafana-admin`;

function ok(run: CliRun) {
  expect(run.code, `exit ${run.code}\n${run.stderr.slice(-3000)}`).toBe(0);
  return run.json();
}

describe('up right after destroy, while Secrets Manager still deletes the secret', () => {
  const STACK = 'again';
  let firstArn: string;

  it('destroy: the secret being deleted is not reported as left over', async () => {
    ok(await up(STACK));
    firstArn = (await fixture.moto.secrets.send(new DescribeSecretCommand({ SecretId: secretName(STACK) }))).ARN!;
    fixture.sim.setTiming({ secretDeletionMs: HELD });
    const report = ok(await destroy(STACK));
    // It is still there as AWS shows it (DeletedDate set), and the sweep knows that is not a leftover.
    const described = await fixture.aws.secrets.send(new DescribeSecretCommand({ SecretId: secretName(STACK) }));
    expect(described.ARN).toBe(firstArn);
    expect(described.DeletedDate).toBeInstanceOf(Date);
    expect(report.leftovers).toEqual([]);
    expect(report.resources.find((r: any) => r.kind === 'secret')?.action).toBe('delete');
  });

  it('up waits, bounded, and ends with one clear line when the deletion takes longer; the next up finishes', async () => {
    const failed = await up(STACK);
    expect(failed.code, failed.stderr).toBe(1);
    // The one error line says what is going on and what to do.
    const errors = failed.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors, failed.stderr.slice(-1500)).toEqual([expect.stringMatching(new RegExp(
      `^error: secret ${secretName(STACK)}: creating it: still failing after \\dm\\d\\ds: Secrets Manager is still deleting an earlier secret of this name; run \`fargate-prom up\` again in a few minutes$`))]);
    expect(failed.stderr).toContain(`waiting: secret ${secretName(STACK)}: Secrets Manager is still deleting an earlier secret of this name`);
    expect(failed.stderr).not.toMatch(/\n\s+at |RestoreSecret/);
    // Never restored: a force-deleted secret cannot be, and the attempt is not even made.
    expect(fixture.sim.calls().some((c) => c.action === 'RestoreSecret')).toBe(false);

    fixture.sim.setTiming({ secretDeletionMs: RELEASED });
    ok(await up(STACK));
    const secret = await fixture.moto.secrets.send(new DescribeSecretCommand({ SecretId: secretName(STACK) }));
    expect(secret.ARN).not.toBe(firstArn);
    expect(secret.DeletedDate).toBeUndefined();
  });

  it('up → destroy → up at once succeeds, showing the wait in its progress', async () => {
    const before = (await fixture.moto.secrets.send(new DescribeSecretCommand({ SecretId: secretName(STACK) }))).ARN!;
    fixture.sim.setTiming({ secretDeletionMs: HELD });
    ok(await destroy(STACK));
    // Secrets Manager finishes while up is waiting for it.
    const run = await up(STACK, {
      onStderr: (stderr) => {
        if (stderr.includes('still deleting an earlier secret')) fixture.sim.setTiming({ secretDeletionMs: RELEASED });
      },
    });
    const report = ok(run);
    expect(run.stderr).toContain(`waiting: secret ${secretName(STACK)}: Secrets Manager is still deleting an earlier secret of this name`);
    expect(report.resources.find((r: any) => r.kind === 'secret')?.action).toBe('create');
    const secret = await fixture.moto.secrets.send(new DescribeSecretCommand({ SecretId: secretName(STACK) }));
    expect(secret.ARN).not.toBe(before);
    expect(secret.Tags).toContainEqual({ Key: 'fargate-prom:stack', Value: STACK });
    ok(await destroy(STACK));
  });
});

describe('up while IAM and CloudWatch Logs lag behind', () => {
  const STACK = 'lag';

  it('retries calls naming a new role and re-reads a new log group until they are visible', async () => {
    fixture.sim.setTiming({ iamPropagationMs: 250, logGroupListingMs: 250 });
    fixture.sim.clearCalls();
    try {
      ok(await up(STACK));
    } finally {
      fixture.sim.setTiming({ iamPropagationMs: 0, logGroupListingMs: 0 });
    }
    // The windows were met: IAM refused calls naming the new roles.
    expect(fixture.sim.calls().some((c) => c.service === 'iam' && c.action !== 'CreateRole' && c.status === 404)).toBe(true);
    const view = await readStack(fixture.moto, STACK);
    expect(view.roles).toHaveLength(3);
    for (const role of view.roles) {
      expect(role.managedPolicies.length + Object.keys(role.inlinePolicies).length, `${role.name} has no policy`).toBeGreaterThan(0);
    }
    expect(view.logGroups).toHaveLength(3);
    for (const group of view.logGroups) expect(group.retentionInDays, group.name).toBe(14);
  });
});

describe('up when the stack\'s secret is scheduled for deletion with a recovery window', () => {
  const STACK = 'window';

  it('restores it (only a deletion with a recovery window can be cancelled) and keeps its ARN', async () => {
    ok(await up(STACK));
    const arn = (await fixture.moto.secrets.send(new DescribeSecretCommand({ SecretId: secretName(STACK) }))).ARN!;
    // Deleted by someone with the console's default: a recovery window, not a force delete.
    await fixture.aws.secrets.send(new DeleteSecretCommand({ SecretId: arn, RecoveryWindowInDays: 7 }));
    fixture.sim.clearCalls();
    const run = await up(STACK);
    ok(run);
    expect(run.stderr).toContain(`secret ${secretName(STACK)} was scheduled for deletion: restored it`);
    expect(fixture.sim.calls().filter((c) => c.action === 'RestoreSecret')).toHaveLength(1);
    const secret = await fixture.moto.secrets.send(new DescribeSecretCommand({ SecretId: secretName(STACK) }));
    expect(secret.ARN).toBe(arn);
    expect(secret.DeletedDate).toBeUndefined();
    ok(await destroy(STACK));
  });
});
