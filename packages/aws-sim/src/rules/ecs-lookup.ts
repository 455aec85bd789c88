import { DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, type Cluster, type Service, type TaskDefinition } from '@aws-sdk/client-ecs';
import type { RuleContext } from '../rule.js';

/** moto's view of a cluster (name or ARN), or undefined if it does not exist. */
export async function motoCluster(ctx: RuleContext, cluster: string | undefined): Promise<Cluster | undefined> {
  const out = await ctx.moto.ecs.send(new DescribeClustersCommand({ clusters: [cluster ?? 'default'] }));
  return out.clusters?.[0];
}

export async function motoService(ctx: RuleContext, cluster: string | undefined, service: string): Promise<Service | undefined> {
  try {
    const out = await ctx.moto.ecs.send(new DescribeServicesCommand({ cluster: cluster ?? 'default', services: [service] }));
    return out.services?.[0];
  } catch (err) {
    if ((err as Error).name === 'ClusterNotFoundException') return undefined;
    throw err;
  }
}

export async function motoTaskDefinition(ctx: RuleContext, taskDefinition: string): Promise<TaskDefinition | undefined> {
  try {
    const out = await ctx.moto.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
    return out.taskDefinition;
  } catch {
    return undefined;
  }
}
