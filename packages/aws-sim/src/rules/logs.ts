import { isSuccess, replyJson, withBody, type ActionRule } from '../rule.js';
import { AwsError } from '../wire.js';

/** The only retention values CloudWatch Logs accepts (independent of the CLI's copy, on purpose):
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const putRetentionPolicy: ActionRule = async (ctx) => {
  const days = ctx.call.input.retentionInDays;
  if (!RETENTION_DAYS.includes(days)) {
    throw new AwsError(
      'InvalidParameterException',
      `1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
    );
  }
  return ctx.forward();
};

/*
 * CloudWatch Logs is eventually consistent: a group just created may not be listed by DescribeLogGroups
 * for a moment (logGroupListingMs here; moto lists it at once).
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html
 */
const createLogGroup: ActionRule = async (ctx) => {
  const reply = await ctx.forward();
  if (isSuccess(reply)) ctx.state.logGroupCreatedAt.set(ctx.call.input.logGroupName, ctx.state.now());
  return reply;
};

const describeLogGroups: ActionRule = async (ctx) => {
  const reply = await ctx.forward();
  if (!isSuccess(reply)) return reply;
  const listed = (name: string) => {
    const createdAt = ctx.state.logGroupCreatedAt.get(name);
    return createdAt === undefined || ctx.state.isOver(createdAt, 'logGroupListingMs');
  };
  const out = replyJson(reply);
  return withBody(reply, JSON.stringify({ ...out, logGroups: (out.logGroups ?? []).filter((g: { logGroupName: string }) => listed(g.logGroupName)) }));
};

export const logsRules: Record<string, ActionRule> = {
  CreateLogGroup: createLogGroup,
  DescribeLogGroups: describeLogGroups,
  PutRetentionPolicy: putRetentionPolicy,
};
