import { DescribeSecretCommand, type DescribeSecretResponse } from '@aws-sdk/client-secrets-manager';
import { isSuccess, type ActionRule, type RuleContext } from '../rule.js';
import type { DeletingSecret } from '../state.js';
import { AwsError, jsonReply } from '../wire.js';

/*
 * Secrets Manager deletes a secret in the background. DeleteSecret with ForceDeleteWithoutRecovery
 * answers at once, but until the secret is gone (secretDeletionMs here) DescribeSecret still returns it
 * with DeletedDate and CreateSecret of its name is refused; a deletion with a recovery window blocks the
 * name for the whole window. moto removes a force-deleted secret at once, and answers
 * ResourceExistsException for a name in its recovery window.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html
 */
export const SECRET_DELETED = "You can't perform this operation on the secret because it was deleted.";
export const SECRET_MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion.";

/** The force-deleted secret named or with this ARN that is still being removed. */
function stillDeleting(ctx: RuleContext, id: string): DeletingSecret | undefined {
  for (const [arn, secret] of ctx.state.deletingSecrets) {
    if (ctx.state.isOver(secret.deletedAt, 'secretDeletionMs')) ctx.state.deletingSecrets.delete(arn);
    else if (secret.arn === id || secret.name === id) return secret;
  }
  return undefined;
}

/** moto's DescribeSecret, or undefined when moto has no such secret. */
async function describeInMoto(ctx: RuleContext, id: string): Promise<DescribeSecretResponse | undefined> {
  try {
    return await ctx.moto.secrets.send(new DescribeSecretCommand({ SecretId: id }));
  } catch {
    return undefined;
  }
}

/** An SDK response back in awsJson wire form: dates as epoch seconds, no $metadata. */
function toWire(value: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify({ ...value, $metadata: undefined }, function (key, v) {
    const raw = (this as Record<string, unknown>)[key];
    return raw instanceof Date ? raw.getTime() / 1000 : v;
  }));
}

const deleteSecret: ActionRule = async (ctx) => {
  const { SecretId: id = '', ForceDeleteWithoutRecovery: force } = ctx.call.input;
  const before = force ? await describeInMoto(ctx, id) : undefined;
  const reply = await ctx.forward();
  if (isSuccess(reply) && before?.ARN) {
    const deletedAt = ctx.state.now();
    ctx.state.deletingSecrets.set(before.ARN, {
      arn: before.ARN,
      name: before.Name!,
      deletedAt,
      description: { ...toWire(before), DeletedDate: deletedAt / 1000 },
    });
  }
  return reply;
};

const describeSecret: ActionRule = async (ctx) => {
  const deleting = stillDeleting(ctx, ctx.call.input.SecretId ?? '');
  return deleting ? jsonReply(deleting.description) : ctx.forward();
};

const createSecret: ActionRule = async (ctx) => {
  const name = ctx.call.input.Name ?? '';
  if (stillDeleting(ctx, name)) throw new AwsError('InvalidRequestException', SECRET_DELETED);
  if ((await describeInMoto(ctx, name))?.DeletedDate) throw new AwsError('InvalidRequestException', SECRET_MARKED_FOR_DELETION);
  return ctx.forward();
};

// A force-deleted secret cannot be restored (there is no recovery window to cancel).
const restoreSecret: ActionRule = async (ctx) => {
  if (stillDeleting(ctx, ctx.call.input.SecretId ?? '')) throw new AwsError('InvalidRequestException', SECRET_DELETED);
  return ctx.forward();
};

export const secretsManagerRules: Record<string, ActionRule> = {
  CreateSecret: createSecret,
  DeleteSecret: deleteSecret,
  DescribeSecret: describeSecret,
  RestoreSecret: restoreSecret,
};
