import { isSuccess, type ActionRule, type ServiceHook } from '../rule.js';
import { AwsError } from '../wire.js';

const ROLE_NAME = /^[\w+=,.@-]+$/;

/** Role name 1–64 of [\w+=,.@-] (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html); moto accepts any trust policy text. */
const createRole: ActionRule = async (ctx) => {
  const { RoleName: name = '', AssumeRolePolicyDocument: trust = '' } = ctx.call.input;
  const constraint = (detail: string) =>
    new AwsError('ValidationError', `1 validation error detected: Value '${name}' at 'roleName' failed to satisfy constraint: ${detail}`);
  if (name.length < 1) throw constraint('Member must have length greater than or equal to 1');
  if (name.length > 64) throw constraint('Member must have length less than or equal to 64');
  if (!ROLE_NAME.test(name)) throw constraint('Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  try {
    JSON.parse(trust);
  } catch {
    throw new AwsError('MalformedPolicyDocument', 'This policy contains invalid Json');
  }
  const reply = await ctx.forward();
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(reply.body.toString('utf8'))?.[1];
  // ECS cannot assume a fresh role for a while (eventual consistency:
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
  if (isSuccess(reply) && arn) {
    ctx.state.roleCreatedAt.set(arn, ctx.state.now());
    ctx.state.roleNameCreatedAt.set(name, ctx.state.now());
  }
  return reply;
};

/**
 * IAM is eventually consistent: for a while after CreateRole answers, other calls naming the role
 * (GetRole, AttachRolePolicy, PutRolePolicy, TagRole, UpdateAssumeRolePolicy, …) may not find it.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
 */
export const roleNotYetVisible: ServiceHook = async (ctx) => {
  const name = ctx.call.input.RoleName;
  if (ctx.call.action === 'CreateRole' || typeof name !== 'string') return;
  const createdAt = ctx.state.roleNameCreatedAt.get(name);
  if (createdAt !== undefined && !ctx.state.isOver(createdAt, 'iamPropagationMs')) {
    throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
  }
};

export const iamRules: Record<string, ActionRule> = { CreateRole: createRole };
