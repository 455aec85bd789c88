import type { ActionRule } from '../rule.js';
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

export const logsRules: Record<string, ActionRule> = { PutRetentionPolicy: putRetentionPolicy };
