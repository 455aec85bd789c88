import { randomUUID } from 'node:crypto';
import type { Deployment, Service } from '@aws-sdk/client-ecs';
import { CliError, TimeoutError } from '../errors.js';
import { errorMessage } from '../aws/errors.js';
import { pollUntil, retryWhile } from '../aws/retry.js';
import type { Health } from '../engine/types.js';
import { resource, type Context, type Resource } from './context.js';
import { isOwned, requireOptions, tags } from '../stack/spec.js';
import { formatDuration, scaled, sleep } from '../util/time.js';
import type { ServiceRow } from '../ui/reporter.js';
import { deleteIgnoringMissing, fieldDiffs, observed } from './common.js';
import type { ClusterState } from './cluster.js';
import type { RoleState } from './iam-role.js';
import type { SecurityGroupState } from './security-group.js';
import type { TargetGroupState } from './target-group.js';
import type { TaskDefinitionState } from './task-definition.js';
import { diagnoseService } from './ecs-diagnosis.js';
import { LaunchFailureWatch } from './ecs-launch-failures.js';
import { sdk } from '../aws/sdk.js';

const { CreateServiceCommand, DeleteServiceCommand, DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, UpdateServiceCommand } = sdk.ecs();
const { DescribeTargetHealthCommand } = sdk.elbv2();

export interface ServiceState {
  name: string;
  arn: string;
  status: string;
  taskDefinition: string;
  desiredCount: number;
  subnets: string[];
  securityGroups: string[];
  assignPublicIp: string;
  targetGroupArn?: string;
  gracePeriod?: number;
}

/** The resources a service runs with. */
export interface ServiceRefs {
  cluster: Resource<ClusterState>;
  taskDefinition: Resource<TaskDefinitionState>;
  targetGroup: Resource<TargetGroupState>;
  securityGroup: Resource<SecurityGroupState>;
  /** The roles its task definition names: tasks ECS cannot start while IAM propagates new ones are excused. */
  roles: Resource<RoleState>[];
}

interface ServiceDesire extends ServiceRefs {
  /** What else it waits for, for order only (its traffic path, the workspace its agent writes to). */
  waitsFor: Resource[];
  containerName: string;
  containerPort: (ctx: Context) => number;
  desiredCount: (ctx: Context) => number;
  gracePeriodSeconds: number;
}

function toState(s: Service): ServiceState {
  const net = s.networkConfiguration?.awsvpcConfiguration;
  return {
    name: s.serviceName!,
    arn: s.serviceArn!,
    status: s.status!,
    taskDefinition: s.taskDefinition!,
    desiredCount: s.desiredCount ?? 0,
    subnets: [...(net?.subnets ?? [])].sort(),
    securityGroups: [...(net?.securityGroups ?? [])].sort(),
    assignPublicIp: net?.assignPublicIp ?? 'DISABLED',
    targetGroupArn: s.loadBalancers?.[0]?.targetGroupArn,
    gracePeriod: s.healthCheckGracePeriodSeconds,
  };
}

async function describe(ctx: Context, cluster: string, name: string): Promise<Service | undefined> {
  const out = await ctx.aws.ecs.send(new DescribeServicesCommand({ cluster, services: [name], include: ['TAGS'] }));
  return out.services?.find((s) => s.serviceName === name && s.status !== 'INACTIVE');
}

// How ECS words a task role it cannot assume (yet): a stopped-task reason or an API error
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
const CANNOT_ASSUME_ROLE = /unable to assume (the )?role/i;

/**
 * Errors that time fixes while a new stack settles: a target group not yet attached to the ALB
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LoadBalancer.html), IAM propagation (see above), and EC2
 * throttling (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html).
 */
export function settlingReason(err: unknown): string | undefined {
  // ECS answers all of these with InvalidParameterException (or a task's stoppedReason): only AWS's
  // own message tells them apart.
  const m = errorMessage(err);
  if (/does not have an associated load balancer/i.test(m)) return 'the load balancer is still attaching the target group';
  if (CANNOT_ASSUME_ROLE.test(m) || /unable to assume the service linked role/i.test(m)) return 'IAM is still propagating the new roles';
  // EC2 throttling that ECS passes on inside an InvalidParameterException, which the SDK does not retry.
  if (/request limit exceeded/i.test(m)) return 'EC2 is throttling the calls ECS makes for it (Request limit exceeded)';
  return undefined;
}

// A failing deployment stops the wait early: this many tasks stopped in the new deployment is not a blip.
const FAILED_TASKS_BEFORE_GIVING_UP = 3;
const STEADY_TIMEOUT_MS = 15 * 60_000;
// How long ECS may keep failing to launch any task (service events only) before the wait gives up.
const LAUNCH_FAILURE_WINDOW_MS = 2 * 60_000;

/** An ECS service on Fargate behind the ALB, with the deployment circuit breaker on. */
function ecsService(id: string, name: string, desire: ServiceDesire): Resource<ServiceState> {
  const cluster = (ctx: Context) => desire.cluster.state(ctx).arn;
  const wanted = (ctx: Context) => {
    const net = ctx.spec.network!;
    return {
      taskDefinition: desire.taskDefinition.state(ctx).arn,
      desiredCount: desire.desiredCount(ctx),
      subnets: [...net.subnetIds].sort(),
      securityGroups: [desire.securityGroup.state(ctx).groupId],
      assignPublicIp: net.assignPublicIp ? 'ENABLED' : 'DISABLED',
      targetGroupArn: desire.targetGroup.state(ctx).arn,
      gracePeriod: desire.gracePeriodSeconds,
    };
  };
  const networkConfiguration = (w: ReturnType<typeof wanted>) => ({
    awsvpcConfiguration: { subnets: w.subnets, securityGroups: w.securityGroups, assignPublicIp: w.assignPublicIp as 'ENABLED' | 'DISABLED' },
  });
  const loadBalancers = (ctx: Context, w: ReturnType<typeof wanted>) => [
    { targetGroupArn: w.targetGroupArn, containerName: desire.containerName, containerPort: desire.containerPort(ctx) },
  ];
  // Create and update wait out, with progress, the errors a new stack settles out of (settlingReason).
  const whileSettling = (ctx: Context, doing: 'creating' | 'updating') => ({
    what: `${doing} ECS service ${name}`,
    budgetMs: 3 * 60_000,
    signal: ctx.signal,
    retryWhen: settlingReason,
    onRetry: (reason: string) => ctx.reporter.waiting(id, `ECS service ${name}: ${reason}`),
  });
  const deploymentConfiguration = {
    deploymentCircuitBreaker: { enable: true, rollback: true },
    minimumHealthyPercent: 100,
    maximumPercent: 200,
  };

  const self: Resource<ServiceState> = resource<ServiceState>({
    key: id,
    kind: 'ecs-service',
    name,
    dependsOn: [desire.cluster, desire.taskDefinition, desire.targetGroup, desire.securityGroup, ...desire.waitsFor],
    // observe needs only the cluster's ARN.
    observeAfter: [desire.cluster],
    async observe(ctx) {
      const c = desire.cluster.peek(ctx);
      if (!c) return undefined;
      const s = await describe(ctx, c.arn, name);
      if (!s) return undefined;
      return observed(toState(s), isOwned(ctx.spec, s.tags), s.serviceArn!);
    },
    async diff(ctx, state) {
      if (state.status === 'DRAINING') return ['being deleted: wait, then create again'];
      const w = wanted(ctx);
      return fieldDiffs([
        ['task definition', state.taskDefinition, w.taskDefinition],
        ['desired count', state.desiredCount, w.desiredCount],
        ['subnets', state.subnets, w.subnets],
        ['security groups', state.securityGroups, w.securityGroups],
        ['public IP', state.assignPublicIp, w.assignPublicIp],
        ['target group', state.targetGroupArn, w.targetGroupArn],
        ['health check grace period', state.gracePeriod, w.gracePeriod],
      ]);
    },
    async create(ctx) {
      const w = wanted(ctx);
      const clientToken = randomUUID();
      const out = await retryWhile(
        () => ctx.aws.ecs.send(new CreateServiceCommand({
          cluster: cluster(ctx),
          serviceName: name,
          taskDefinition: w.taskDefinition,
          desiredCount: w.desiredCount,
          launchType: 'FARGATE',
          // LATEST is 1.4.0 on Linux: the first version with ARM64 and task metadata v4.
          platformVersion: 'LATEST',
          networkConfiguration: networkConfiguration(w),
          loadBalancers: loadBalancers(ctx, w),
          healthCheckGracePeriodSeconds: w.gracePeriod,
          deploymentConfiguration,
          enableECSManagedTags: true,
          propagateTags: 'SERVICE',
          clientToken,
          tags: tags.lowerKeyValue(ctx.spec),
        })),
        whileSettling(ctx, 'creating'),
      );
      return toState(out.service!);
    },
    async update(ctx, state) {
      if (state.status === 'DRAINING') {
        await waitInactive(ctx, state);
        return self.create(ctx);
      }
      const w = wanted(ctx);
      const out = await retryWhile(
        () => ctx.aws.ecs.send(new UpdateServiceCommand({
          cluster: cluster(ctx),
          service: name,
          taskDefinition: w.taskDefinition,
          desiredCount: w.desiredCount,
          networkConfiguration: networkConfiguration(w),
          loadBalancers: loadBalancers(ctx, w),
          healthCheckGracePeriodSeconds: w.gracePeriod,
          deploymentConfiguration,
        })),
        whileSettling(ctx, 'updating'),
      );
      return toState(out.service!);
    },
    async settle(ctx, state) {
      if (!ctx.wait) return state;
      await waitSteady(ctx, id, cluster(ctx), name, desire.targetGroup.state(ctx).arn, runsWithNewRoles(ctx, desire));
      return state;
    },
    async delete(ctx, state) {
      // force: no need to scale to 0 first; ECS drains the tasks and the ALB deregisters them.
      await deleteIgnoringMissing(
        () => ctx.aws.ecs.send(new DeleteServiceCommand({ cluster: cluster(ctx), service: name, force: true })),
        'ServiceNotFoundException', 'ServiceNotActiveException',
      );
      await waitInactive(ctx, state);
    },
    async health(ctx, state) {
      return serviceHealth(ctx, cluster(ctx), name, state.targetGroupArn);
    },
    identify: (s) => s.arn,
  });

  async function waitInactive(ctx: Context, state: ServiceState) {
    const c = cluster(ctx);
    await pollUntil(() => describe(ctx, c, name), (s) => !s, {
      what: `ECS service ${state.name} to finish draining`,
      timeoutMs: 15 * 60_000,
      intervalMs: 5_000,
      signal: ctx.signal,
      onPoll: (s) => ctx.reporter.waiting(id, `ECS service ${name} is ${s?.status ?? 'gone'} (${s?.runningCount ?? 0} tasks still running)`),
    });
  }
  return self;
}

interface Snapshot {
  service?: Service;
  healthyTargets: number;
  row: ServiceRow;
}

async function snapshot(ctx: Context, cluster: string, name: string, targetGroupArn?: string): Promise<Snapshot> {
  const [service, targets] = await Promise.all([
    describe(ctx, cluster, name),
    targetGroupArn ? ctx.aws.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })) : undefined,
  ]);
  const descriptions = targets?.TargetHealthDescriptions ?? [];
  const healthyTargets = descriptions.filter((t) => t.TargetHealth?.State === 'healthy').length;
  const primary = service?.deployments?.find((d) => d.status === 'PRIMARY');
  const failure = service?.events?.find((e) => /unable|failed|error|stopped|unhealthy/i.test(e.message ?? ''))?.message;
  return {
    service,
    healthyTargets,
    row: {
      service: name,
      desired: service?.desiredCount ?? 0,
      running: service?.runningCount ?? 0,
      pending: service?.pendingCount ?? 0,
      rollout: primary?.rolloutState ?? service?.status ?? 'MISSING',
      targets: targetGroupArn ? `${healthyTargets}/${descriptions.length} healthy` : undefined,
      failure: primary?.failedTasks ? `${primary.failedTasks} task(s) failed${failure ? `: ${failure}` : ''}` : undefined,
    },
  };
}

function isSteady(s: Snapshot): boolean {
  const svc = s.service;
  if (!svc) return false;
  const deployments = svc.deployments ?? [];
  return (
    deployments.length === 1 &&
    (deployments[0].rolloutState === undefined || deployments[0].rolloutState === 'COMPLETED') &&
    svc.runningCount === svc.desiredCount &&
    (svc.pendingCount ?? 0) === 0 &&
    s.healthyTargets >= (svc.desiredCount ?? 0)
  );
}

/** Whether the task definition's task or execution role was created by this run (a role's state has createdAt then). */
function runsWithNewRoles(ctx: Context, refs: ServiceRefs): boolean {
  const fp = refs.taskDefinition.peek(ctx)?.fingerprint ?? {};
  const roleArns = [fp.taskRoleArn, fp.executionRoleArn].filter((a): a is string => typeof a === 'string');
  return refs.roles.some((r) => {
    const role = r.peek(ctx);
    return role?.createdAt !== undefined && roleArns.includes(role.arn);
  });
}

/**
 * Waits until running = desired, the rollout is COMPLETED and every target is healthy. Gives up
 * early, with the stopped tasks' reasons and last log lines, when the deployment keeps failing.
 */
async function waitSteady(ctx: Context, id: string, cluster: string, name: string, targetGroupArn: string, newRoles: boolean): Promise<void> {
  const deadline = Date.now() + scaled(STEADY_TIMEOUT_MS);
  // newRoles: roles this run created may not be assumable by ECS for a while; tasks stopped for that reason
  // are not the app's fault, so they do not count towards giving up early (the overall timeout still holds).
  const stopReasons = new Map<string, string>();
  const launches = new LaunchFailureWatch(scaled(LAUNCH_FAILURE_WINDOW_MS));
  for (;;) {
    const s = await snapshot(ctx, cluster, name, targetGroupArn);
    ctx.reporter.service(s.row);
    if (isSteady(s)) return;
    if (!s.service) throw new CliError(`ECS service ${name} disappeared while waiting for it`);
    const primary = s.service.deployments?.find((d) => d.status === 'PRIMARY');
    if (primary?.rolloutState === 'FAILED') {
      const why = await diagnoseService(ctx, cluster, name);
      throw new CliError(`ECS service ${name} is not starting: the deployment circuit breaker stopped the rollout.\n${why}`);
    }
    const unlaunched = primary && launches.check(s.service, primary);
    if (unlaunched) {
      throw new CliError(`ECS service ${name} cannot launch tasks: ${unlaunched[0].message}\n` +
        `  no task started for ${formatDuration(LAUNCH_FAILURE_WINDOW_MS)}; service events seen:\n${launches.table()}`);
    }
    if (launches.pending) {
      ctx.reporter.waiting(id, `ECS service ${name} cannot launch tasks yet (${launches.pending.message}); ` +
        `ECS retries, e.g. while IAM propagates a new role (waiting up to ${formatDuration(LAUNCH_FAILURE_WINDOW_MS)})`);
    }
    const failed = primary?.failedTasks ?? 0;
    if (primary && failed >= FAILED_TASKS_BEFORE_GIVING_UP) {
      const excused = newRoles ? await countRoleStops(ctx, cluster, name, primary, stopReasons) : 0;
      if (failed - excused >= FAILED_TASKS_BEFORE_GIVING_UP) {
        const why = await diagnoseService(ctx, cluster, name);
        throw new CliError(`ECS service ${name} is not starting: ${failed} tasks stopped.\n${why}`);
      }
      ctx.reporter.waiting(id, `ECS service ${name}: ${excused} task(s) stopped because ECS could not assume the roles this run just created; ` +
        `IAM is still propagating them, so these do not count as failures (waiting up to ${formatDuration(STEADY_TIMEOUT_MS)})`);
    }
    if (Date.now() > deadline) {
      const why = await diagnoseService(ctx, cluster, name);
      throw new TimeoutError(`ECS service ${name} to become steady`, STEADY_TIMEOUT_MS, ` (${s.row.running}/${s.row.desired} running, rollout ${s.row.rollout}, targets ${s.row.targets}).\n${why}`);
    }
    await sleep(scaled(5_000), ctx.signal);
  }
}

/**
 * How many of the deployment's stopped tasks stopped because ECS could not assume their roles.
 * Reasons are cached by task ARN, so each stopped task is described once.
 */
async function countRoleStops(ctx: Context, cluster: string, name: string, deployment: Deployment, reasons: Map<string, string>): Promise<number> {
  try {
    const arns = (await ctx.aws.ecs.send(new ListTasksCommand({ cluster, serviceName: name, desiredStatus: 'STOPPED' }))).taskArns ?? [];
    const unseen = arns.filter((a) => !reasons.has(a));
    for (let i = 0; i < unseen.length; i += 100) {
      const out = await ctx.aws.ecs.send(new DescribeTasksCommand({ cluster, tasks: unseen.slice(i, i + 100) }));
      // Tasks of an earlier deployment do not count either way.
      for (const t of out.tasks ?? []) reasons.set(t.taskArn!, t.startedBy === deployment.id ? t.stoppedReason ?? '' : '');
    }
    return arns.filter((a) => CANNOT_ASSUME_ROLE.test(reasons.get(a) ?? '')).length;
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    // Not knowing why they stopped, count them all: the usual early stop.
    return 0;
  }
}

export async function serviceHealth(ctx: Context, cluster: string, name: string, targetGroupArn?: string): Promise<Health> {
  const s = await snapshot(ctx, cluster, name, targetGroupArn);
  return {
    healthy: isSteady(s),
    state: s.service ? `${s.row.running}/${s.row.desired} running` : 'MISSING',
    detail: {
      desired: s.row.desired,
      running: s.row.running,
      pending: s.row.pending,
      rolloutState: s.row.rollout,
      ...(s.row.targets ? { targets: s.row.targets } : {}),
      ...(s.row.failure ? { recentFailure: s.row.failure } : {}),
    },
  };
}

/** The app's service; its traffic comes through the listeners, and its agent remote-writes from its first scrape. */
export function appService(name: string, refs: ServiceRefs & { listeners: Resource; workspace: Resource }): Resource<ServiceState> {
  return ecsService('service:app', name, {
    ...refs,
    // The workspace ACTIVE: the agent remote-writes from its first scrape.
    waitsFor: [refs.listeners, refs.workspace],
    containerName: 'app',
    containerPort: (ctx) => requireOptions(ctx.spec).appPort,
    desiredCount: (ctx) => requireOptions(ctx.spec).desiredCount,
    // The grace period only makes ECS ignore failed ELB checks of a new task for that long
    // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html): it never delays a
    // healthy target, so it is sized for a slow start, not shortened for speed.
    gracePeriodSeconds: 60,
  });
}

/** Grafana's service; its traffic comes through the /dashboard rule. */
export function grafanaService(name: string, refs: ServiceRefs & { dashboardRule: Resource; mountTargets?: Resource }): Resource<ServiceState> {
  return ecsService('service:grafana', name, {
    ...refs,
    // A task cannot mount EFS until a mount target in its zone is available.
    waitsFor: [refs.dashboardRule, ...(refs.mountTargets ? [refs.mountTargets] : [])],
    containerName: 'grafana',
    containerPort: () => 3000,
    desiredCount: () => 1,
    // Grafana installs the AMP plugin before it answers its health check; as for the app, the grace period
    // does not hold back a target that turns healthy sooner.
    gracePeriodSeconds: 180,
  });
}

