import { resource, type Context, type Resource } from './context.js';
import { pollUntil } from '../aws/retry.js';
import { requireOptions, tags, isOwned } from '../stack/spec.js';
import { createOrAdopt, deleteIgnoringMissing, fieldDiffs, observed } from './common.js';
import { sdk } from '../aws/sdk.js';

const { CreateLogGroupCommand, DeleteLogGroupCommand, DescribeLogGroupsCommand, ListTagsForResourceCommand, PutRetentionPolicyCommand } = sdk.logs();

export interface LogGroupState {
  name: string;
  arn: string;
  retentionDays?: number;
}

export function logGroup(id: string, name: string): Resource<LogGroupState> {
  const self: Resource<LogGroupState> = resource<LogGroupState>({
    key: id,
    kind: 'log-group',
    name,
    dependsOn: [],
    async observe(ctx) {
      const out = await ctx.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
      const group = out.logGroups?.find((g) => g.logGroupName === name);
      if (!group) return undefined;
      const arn = group.logGroupArn ?? group.arn!.replace(/:\*$/, '');
      const t = await ctx.aws.logs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
      return observed({ name, arn, retentionDays: group.retentionInDays }, isOwned(ctx.spec, t.tags), name);
    },
    async diff(ctx, state) {
      return fieldDiffs([['retention days', state.retentionDays, requireOptions(ctx.spec).logRetention]]);
    },
    async create(ctx) {
      /*
       * A group that exists (just created, or ResourceAlreadyExists) may not be listed by
       * DescribeLogGroups yet: CloudWatch Logs is eventually consistent. Read again, bounded.
       * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html
       */
      const listed = async (c: Context) => (await pollUntil(() => self.observe(c), (o) => o !== undefined, {
        what: `log group ${name} to be listed by CloudWatch Logs`,
        timeoutMs: 60_000,
        intervalMs: 1_000,
        signal: c.signal,
        onPoll: () => c.reporter.waiting(id, `log group ${name}: created, not listed yet`),
      }))!;
      const state = await createOrAdopt({ ...self, observe: listed }, ctx, async () => {
        await ctx.aws.logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: tags.map(ctx.spec) }));
        return (await listed(ctx)).state;
      }, ['ResourceAlreadyExistsException']);
      return self.update(ctx, state, []);
    },
    async update(ctx, state) {
      const retentionInDays = requireOptions(ctx.spec).logRetention;
      if (state.retentionDays === retentionInDays) return state;
      await ctx.aws.logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays }));
      return { ...state, retentionDays: retentionInDays };
    },
    async delete(ctx) {
      await deleteIgnoringMissing(() => ctx.aws.logs.send(new DeleteLogGroupCommand({ logGroupName: name })), 'ResourceNotFoundException');
    },
    identify: (s) => s.name,
  });
  return self;
}
