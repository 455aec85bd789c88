import { errorMessage, hasErrorName } from '../aws/errors.js';
import { retryWhile } from '../aws/retry.js';
import { resource, type Context, type Resource } from './context.js';
import { isOwned, tags } from '../stack/spec.js';
import { canonicalJson } from '../util/json.js';
import { createOrAdopt, deleteIgnoringMissing, observed } from './common.js';
import { sdk } from '../aws/sdk.js';

const { AttachRolePolicyCommand, CreateRoleCommand, DeleteRoleCommand, DeleteRolePolicyCommand, DetachRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } = sdk.iam();

export interface RoleState {
  name: string;
  arn: string;
  trustPolicy: string;
  managedPolicyArns: string[];
  /** Inline policy name → canonical JSON document. */
  inlinePolicies: Record<string, string>;
  /** Set when this run created the role: ECS may not be able to assume it until IAM has propagated it. */
  createdAt?: number;
}

export interface RoleDesire {
  managedPolicyArns: string[];
  inlinePolicies: Record<string, object>;
  /**
   * Task roles: an ARN the stack already has, to read the account id for the trust policy's
   * confused-deputy conditions. Left out for the execution role (see trustPolicy).
   */
  accountFromArn?: string;
}

type Statement = { Effect: 'Allow'; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string>> };

export const policy = (...statements: Statement[]) => ({ Version: '2012-10-17', Statement: statements });

export const TASK_EXECUTION_POLICY_ARN = 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy';

/** A policy document in canonical form; IAM returns documents URL-encoded, as strings. */
function canonicalPolicy(doc: unknown): string {
  return canonicalJson(typeof doc === 'string' ? JSON.parse(decodeURIComponent(doc)) : doc);
}

/**
 * Trusts ECS tasks. AWS documents the aws:SourceAccount / aws:SourceArn conditions for the task role
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html, "Create the task
 * IAM role"), not for the task execution role, whose documented trust policy has none
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html): the
 * conditions go only where the documentation shows they work.
 */
function trustPolicy(ctx: Context, accountFromArn: string | undefined): string {
  const statement = { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' };
  if (!accountFromArn) return canonicalJson({ Version: '2012-10-17', Statement: [statement] });
  const account = accountFromArn.split(':')[4];
  const partition = accountFromArn.split(':')[1];
  return canonicalJson({
    Version: '2012-10-17',
    Statement: [{
      ...statement,
      // Only ECS tasks of this account and region may assume it (confused-deputy protection).
      Condition: {
        StringEquals: { 'aws:SourceAccount': account },
        ArnLike: { 'aws:SourceArn': `arn:${partition}:ecs:${ctx.spec.region}:${account}:*` },
      },
    }],
  });
}

/**
 * IAM is eventually consistent: for a few seconds after CreateRole, calls naming the role may answer
 * NoSuchEntity, and a CreateRole retried after a lost reply says EntityAlreadyExists while GetRole does
 * not find the role yet. Both are retried, bounded, as throttling is.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
 */
function onceRoleVisible<T>(ctx: Context, name: string, call: () => Promise<T>): Promise<T> {
  return retryWhile(call, {
    what: `IAM role ${name}`,
    budgetMs: 60_000,
    firstDelayMs: 1_000,
    signal: ctx.signal,
    retryWhen: (err) => ((hasErrorName(err, 'NoSuchEntity') && errorMessage(err).includes(name)) || hasErrorName(err, 'EntityAlreadyExists')
      ? 'IAM has not propagated the new role yet'
      : undefined),
    onRetry: (reason) => ctx.reporter.waiting(`role ${name}`, `IAM role ${name}: ${reason}`),
  });
}

/** An IAM role that ECS tasks assume, with exactly the policies the stack gives it. */
export function iamRole(id: string, name: string, description: string, dependsOn: Resource[], desire: (ctx: Context) => RoleDesire): Resource<RoleState> {
  const wanted = (ctx: Context) => {
    const d = desire(ctx);
    return {
      trustPolicy: trustPolicy(ctx, d.accountFromArn),
      managed: [...d.managedPolicyArns].sort(),
      inline: Object.fromEntries(Object.entries(d.inlinePolicies).map(([k, v]) => [k, canonicalJson(v)])),
    };
  };
  const self: Resource<RoleState> = resource<RoleState>({
    key: id,
    kind: 'iam-role',
    name,
    dependsOn,
    observeAfter: [],
    async observe(ctx) {
      let role;
      try {
        role = (await ctx.aws.iam.send(new GetRoleCommand({ RoleName: name }))).Role!;
      } catch (err) {
        if (hasErrorName(err, 'NoSuchEntity')) return undefined;
        throw err;
      }
      const owned = isOwned(ctx.spec, role.Tags);
      if (!owned) return observed({ name, arn: role.Arn!, trustPolicy: '', managedPolicyArns: [], inlinePolicies: {} }, false, role.Arn!);
      const [attached, inlineNames] = await Promise.all([
        ctx.aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name })),
        ctx.aws.iam.send(new ListRolePoliciesCommand({ RoleName: name })),
      ]);
      const inline = await Promise.all((inlineNames.PolicyNames ?? []).map(async (p) => {
        const doc = await ctx.aws.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: p }));
        return [p, canonicalPolicy(doc.PolicyDocument!)] as const;
      }));
      return observed({
        name,
        arn: role.Arn!,
        trustPolicy: canonicalPolicy(role.AssumeRolePolicyDocument!),
        managedPolicyArns: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn!).sort(),
        inlinePolicies: Object.fromEntries(inline),
      }, true, role.Arn!);
    },
    async diff(ctx, state) {
      const w = wanted(ctx);
      const diffs: string[] = [];
      if (state.trustPolicy !== w.trustPolicy) diffs.push('trust policy');
      for (const arn of w.managed) if (!state.managedPolicyArns.includes(arn)) diffs.push(`attach ${arn}`);
      for (const arn of state.managedPolicyArns) if (!w.managed.includes(arn)) diffs.push(`detach ${arn}`);
      for (const [p, doc] of Object.entries(w.inline)) if (state.inlinePolicies[p] !== doc) diffs.push(`inline policy ${p}`);
      for (const p of Object.keys(state.inlinePolicies)) if (!(p in w.inline)) diffs.push(`remove inline policy ${p}`);
      return diffs;
    },
    async create(ctx) {
      const w = wanted(ctx);
      const state = await onceRoleVisible(ctx, name, () => createOrAdopt(self, ctx, async () => {
        const out = await ctx.aws.iam.send(new CreateRoleCommand({
          RoleName: name,
          Description: description,
          AssumeRolePolicyDocument: w.trustPolicy,
          Tags: tags.keyValue(ctx.spec),
        }));
        return { name, arn: out.Role!.Arn!, trustPolicy: w.trustPolicy, managedPolicyArns: [], inlinePolicies: {}, createdAt: Date.now() };
      }, ['EntityAlreadyExistsException']));
      return self.update(ctx, state, []);
    },
    async update(ctx, state) {
      const w = wanted(ctx);
      const iam = ctx.aws.iam;
      const visible = <T>(call: () => Promise<T>) => onceRoleVisible(ctx, name, call);
      if (state.trustPolicy !== w.trustPolicy) {
        await visible(() => iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: w.trustPolicy })));
      }
      await Promise.all([
        ...w.managed.filter((a) => !state.managedPolicyArns.includes(a))
          .map((PolicyArn) => visible(() => iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn })))),
        ...state.managedPolicyArns.filter((a) => !w.managed.includes(a))
          .map((PolicyArn) => visible(() => iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn })))),
        ...Object.entries(w.inline).filter(([p, doc]) => state.inlinePolicies[p] !== doc)
          .map(([PolicyName, PolicyDocument]) => visible(() => iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName, PolicyDocument })))),
        ...Object.keys(state.inlinePolicies).filter((p) => !(p in w.inline))
          .map((PolicyName) => visible(() => iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName })))),
      ]);
      return { ...state, trustPolicy: w.trustPolicy, managedPolicyArns: w.managed, inlinePolicies: w.inline };
    },
    async delete(ctx) {
      const iam = ctx.aws.iam;
      // Policies first: IAM refuses to delete a role that still has any (DeleteConflict).
      const [attached, inline] = await Promise.all([
        iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name })),
        iam.send(new ListRolePoliciesCommand({ RoleName: name })),
      ]);
      await Promise.all([
        ...(attached.AttachedPolicies ?? []).map((p) => deleteIgnoringMissing(() => iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: p.PolicyArn })), 'NoSuchEntityException')),
        ...(inline.PolicyNames ?? []).map((PolicyName) => deleteIgnoringMissing(() => iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName })), 'NoSuchEntityException')),
      ]);
      await deleteIgnoringMissing(() => iam.send(new DeleteRoleCommand({ RoleName: name })), 'NoSuchEntityException');
    },
    identify: (s) => s.arn,
  });
  return self;
}

