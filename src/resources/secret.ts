import { randomBytes, randomUUID } from 'node:crypto';
import { hasErrorName, errorMessage } from '../aws/errors.js';
import { retryWhile } from '../aws/retry.js';
import type { Resource } from '../engine/types.js';
import { isOwned, tags } from '../stack/spec.js';
import { createOrAdopt, deleteIgnoringMissing, observed } from './common.js';
import { sdk } from '../aws/sdk.js';

const { CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, RestoreSecretCommand } = sdk.secrets();

export interface SecretState {
  name: string;
  arn: string;
  pendingDeletion: boolean;
}

/** 32 characters from 24 random bytes; URL-safe so it survives env vars and basic auth unquoted. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The Grafana admin password, generated once and kept in Secrets Manager. ECS injects it into the
 * Grafana container; the CLI reads it only to call Grafana's API, and never prints it.
 */
export function grafanaSecret(name: string): Resource<SecretState> {
  const self: Resource<SecretState> = {
    id: 'secret',
    kind: 'secret',
    name,
    dependsOn: [],
    async observe(ctx) {
      try {
        const s = await ctx.aws.secrets.send(new DescribeSecretCommand({ SecretId: name }));
        return observed({ name, arn: s.ARN!, pendingDeletion: s.DeletedDate !== undefined }, isOwned(ctx.spec, s.Tags), s.ARN!);
      } catch (err) {
        if (hasErrorName(err, 'ResourceNotFoundException')) return undefined;
        throw err;
      }
    },
    async diff(_ctx, state) {
      return state.pendingDeletion ? ['scheduled for deletion: restore'] : [];
    },
    async create(ctx) {
      const token = randomUUID();
      return retryWhile(
        () => createOrAdopt(self, ctx, async () => {
          const out = await ctx.aws.secrets.send(new CreateSecretCommand({
            Name: name,
            Description: `Grafana admin password for fargate-prom stack ${ctx.spec.name}`,
            SecretString: generatePassword(),
            ClientRequestToken: token,
            Tags: tags.keyValue(ctx.spec),
          }));
          return { name, arn: out.ARN!, pendingDeletion: false };
        }, ['ResourceExistsException']),
        {
          what: `creating secret ${name}`,
          budgetMs: 2 * 60_000,
          signal: ctx.signal,
          // A force-deleted secret of the same name takes a moment to disappear.
          retryWhen: (err) => (hasErrorName(err, 'InvalidRequestException') && /deletion/i.test(errorMessage(err)) ? 'an earlier secret of this name is still being deleted' : undefined),
          onRetry: (reason) => ctx.reporter.waiting('secret', `secret ${name}: ${reason}`),
        },
      );
    },
    async update(ctx, state) {
      if (!state.pendingDeletion) return state;
      await ctx.aws.secrets.send(new RestoreSecretCommand({ SecretId: state.arn }));
      return { ...state, pendingDeletion: false };
    },
    async delete(ctx, state) {
      // Without a recovery window, so `up` can create the stack again straight away.
      await deleteIgnoringMissing(
        () => ctx.aws.secrets.send(new DeleteSecretCommand({ SecretId: state.arn, ForceDeleteWithoutRecovery: true })),
        'ResourceNotFoundException',
      );
    },
    identify: (s) => s.arn,
  };
  return self;
}
