import { randomBytes, randomUUID } from 'node:crypto';
import { ForeignResourceError } from '../errors.js';
import { hasErrorName, errorMessage } from '../aws/errors.js';
import { retryWhile } from '../aws/retry.js';
import { resource, type Context, type Resource } from './context.js';
import { isOwned, tags } from '../stack/spec.js';
import { createOrAdopt, deleteIgnoringMissing, observed } from './common.js';
import { sdk } from '../aws/sdk.js';

const { CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, RestoreSecretCommand } = sdk.secrets();

export interface SecretState {
  name: string;
  arn: string;
}

/** 32 characters from 24 random bytes; URL-safe so it survives env vars and basic auth unquoted. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/*
 * Secrets Manager deletes secrets in the background. Until a force-deleted secret is gone, CreateSecret
 * of its name answers InvalidRequestException "...because it was deleted" (and DescribeSecret may still
 * show it, with DeletedDate): that only needs waiting out, and such a secret cannot be restored. A secret
 * deleted with a recovery window (7-30 days; not by destroy, which always forces) blocks its name for the
 * whole window, "...because it was marked for deletion": waiting cannot help, but RestoreSecret cancels the
 * deletion, so one that carries the stack's tag is restored (it holds the stack's own Grafana password).
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RestoreSecret.html
 */
const beingDeleted = (err: unknown) => hasErrorName(err, 'InvalidRequestException') && /because it was deleted/i.test(errorMessage(err));
const markedForDeletion = (err: unknown) => hasErrorName(err, 'InvalidRequestException') && /marked for deletion/i.test(errorMessage(err));

/** How long `up` waits for Secrets Manager to finish deleting an earlier secret of the same name. */
const DELETION_WAIT_MS = 2 * 60_000;

/**
 * The Grafana admin password, generated once and kept in Secrets Manager. ECS injects it into the
 * Grafana container; the CLI reads it only to call Grafana's API, and never prints it.
 */
export function grafanaSecret(name: string): Resource<SecretState> {
  const describe = (ctx: Context) => ctx.aws.secrets.send(new DescribeSecretCommand({ SecretId: name }));

  /** Cancels the scheduled deletion of the stack's own secret; refuses one of someone else's. */
  async function restoreOwn(ctx: Context): Promise<SecretState> {
    const s = await describe(ctx);
    if (!isOwned(ctx.spec, s.Tags)) throw new ForeignResourceError([{ kind: 'secret', name, id: s.ARN }]);
    await ctx.aws.secrets.send(new RestoreSecretCommand({ SecretId: s.ARN }));
    ctx.reporter.info(`secret ${name} was scheduled for deletion: restored it`);
    return { name, arn: s.ARN! };
  }

  const self: Resource<SecretState> = resource<SecretState>({
    key: 'secret',
    kind: 'secret',
    name,
    dependsOn: [],
    async observe(ctx) {
      try {
        const s = await describe(ctx);
        // Scheduled for deletion, or being deleted: not the stack's secret any more (create decides what to do).
        if (s.DeletedDate) return undefined;
        return observed({ name, arn: s.ARN! }, isOwned(ctx.spec, s.Tags), s.ARN!);
      } catch (err) {
        if (hasErrorName(err, 'ResourceNotFoundException')) return undefined;
        throw err;
      }
    },
    async diff() {
      return [];
    },
    async create(ctx) {
      const token = randomUUID();
      const attempt = async () => {
        try {
          return await createOrAdopt(self, ctx, async () => {
            const out = await ctx.aws.secrets.send(new CreateSecretCommand({
              Name: name,
              Description: `Grafana admin password for fargate-prom stack ${ctx.spec.name}`,
              SecretString: generatePassword(),
              ClientRequestToken: token,
              Tags: tags.keyValue(ctx.spec),
            }));
            return { name, arn: out.ARN! };
          }, ['ResourceExistsException']);
        } catch (err) {
          if (markedForDeletion(err)) return restoreOwn(ctx);
          throw err;
        }
      };
      return retryWhile(attempt, {
        what: 'creating it',
        budgetMs: DELETION_WAIT_MS,
        signal: ctx.signal,
        retryWhen: (err) => (beingDeleted(err) ? 'Secrets Manager is still deleting an earlier secret of this name' : undefined),
        onRetry: (reason) => ctx.reporter.waiting('secret', `secret ${name}: ${reason}`),
        explain: () => 'Secrets Manager is still deleting an earlier secret of this name; run `fargate-prom up` again in a few minutes',
      });
    },
    async update(_ctx, state) {
      return state;
    },
    async delete(ctx, state) {
      // Without a recovery window, so `up` can create the stack again straight away (once Secrets
      // Manager has finished removing it in the background).
      await deleteIgnoringMissing(
        () => ctx.aws.secrets.send(new DeleteSecretCommand({ SecretId: state.arn, ForceDeleteWithoutRecovery: true })),
        'ResourceNotFoundException',
      );
    },
    identify: (s) => s.arn,
  });
  return self;
}
