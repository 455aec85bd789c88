import { errorMessage, hasErrorName } from '../aws/errors.js';
import { retryWhile } from '../aws/retry.js';
import { resource, type Resource } from './context.js';
import { isOwned, tags } from '../stack/spec.js';
import { deleteIgnoringMissing, observed } from './common.js';
import { sdk } from '../aws/sdk.js';

const { CreateClusterCommand, DeleteClusterCommand, DescribeClustersCommand } = sdk.ecs();

export interface ClusterState {
  name: string;
  arn: string;
}

export function ecsCluster(name: string): Resource<ClusterState> {
  const self: Resource<ClusterState> = resource<ClusterState>({
    key: 'cluster',
    kind: 'ecs-cluster',
    name,
    dependsOn: [],
    async observe(ctx) {
      const out = await ctx.aws.ecs.send(new DescribeClustersCommand({ clusters: [name], include: ['TAGS'] }));
      const c = out.clusters?.find((x) => x.clusterName === name && x.status !== 'INACTIVE');
      if (!c) return undefined;
      return observed({ name, arn: c.clusterArn! }, isOwned(ctx.spec, c.tags), c.clusterArn!);
    },
    async diff() {
      return [];
    },
    async create(ctx) {
      // CreateCluster on an existing name does not fail (and would reset its settings), so observe
      // has already made sure there is none; the only retry is for ECS's first-use role.
      const out = await retryWhile(
        () => ctx.aws.ecs.send(new CreateClusterCommand({ clusterName: name, tags: tags.lowerKeyValue(ctx.spec) })),
        {
          what: `creating ECS cluster ${name}`,
          budgetMs: 60_000,
          signal: ctx.signal,
          // AWS's own wording: ECS gives this no code of its own (moto never says it).
          retryWhen: (err) => (/service linked role/i.test(errorMessage(err)) ? 'ECS is creating its service-linked role (first use in this account)' : undefined),
          onRetry: (reason) => ctx.reporter.waiting('cluster', reason),
        },
      );
      return { name, arn: out.cluster!.clusterArn! };
    },
    async update(_ctx, state) {
      return state;
    },
    async delete(ctx) {
      await retryWhile(
        () => deleteIgnoringMissing(() => ctx.aws.ecs.send(new DeleteClusterCommand({ cluster: name })), 'ClusterNotFoundException'),
        {
          what: `deleting ECS cluster ${name}`,
          budgetMs: 10 * 60_000,
          signal: ctx.signal,
          retryWhen: (err) => (hasErrorName(err, 'ClusterContainsServicesException', 'ClusterContainsTasksException') ? 'its services are still draining' : undefined),
          onRetry: (reason) => ctx.reporter.waiting('cluster', `ECS cluster ${name}: ${reason}`),
        },
      );
    },
    async health(ctx) {
      const out = await ctx.aws.ecs.send(new DescribeClustersCommand({ clusters: [name] }));
      const status = out.clusters?.[0]?.status ?? 'MISSING';
      return { healthy: status === 'ACTIVE', state: status };
    },
    identify: (s) => s.arn,
  });
  return self;
}
