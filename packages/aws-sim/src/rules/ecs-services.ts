import { randomBytes } from 'node:crypto';
import { ListServicesCommand, DescribeServicesCommand, type TaskDefinition } from '@aws-sdk/client-ecs';
import { replyJson, isSuccess, withBody, type ActionRule, type RuleContext } from '../rule.js';
import type { ServiceRecord } from '../state.js';
import { AwsError, jsonReply } from '../wire.js';
import { motoCluster, motoService, motoTaskDefinition } from './ecs-lookup.js';
import { presentService, runningTaskCount } from './ecs-service-view.js';
import { describeStoppedTask, findStoppedTask, stoppedTasks } from './ecs-task-failures.js';
import { runningTaskIndex, runningTasks, taskView } from './ecs-tasks.js';
import { validateTaskDefinition } from './ecs-task-definition.js';
import { targetGroupProblem } from './elbv2-lookup.js';

const invalidParameter = (message: string) => new AwsError('InvalidParameterException', message);
// moto drops these CreateService/UpdateService settings; a tool that reads them back must see them.
const KEPT_SETTINGS = ['deploymentConfiguration', 'healthCheckGracePeriodSeconds', 'platformVersion', 'enableECSManagedTags', 'propagateTags'];
const keptSettings = (input: any) => Object.fromEntries(KEPT_SETTINGS.filter((k) => input[k] !== undefined).map((k) => [k, input[k]]));

const newDeploymentId = () => `ecs-svc/${BigInt(`0x${randomBytes(8).toString('hex')}`) % 10n ** 19n}`;

async function requireActiveCluster(ctx: RuleContext, cluster: string | undefined) {
  const found = await motoCluster(ctx, cluster);
  if (!found || found.status !== 'ACTIVE') throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
  return found;
}

/** The service as the simulation sees it (status included), with moto's object. */
async function knownService(ctx: RuleContext, cluster: string | undefined, service: string) {
  const moto = await motoService(ctx, cluster, service);
  const record = moto?.serviceArn ? ctx.state.services.get(moto.serviceArn) : undefined;
  const status = record ? ctx.state.serviceStatus(record) : moto?.status;
  return { moto, record, status };
}

async function present(ctx: RuleContext, service: any): Promise<any> {
  const record = ctx.state.services.get(service.serviceArn);
  const stopped = record ? await stoppedTasks(ctx, record) : [];
  return presentService(service, record, ctx.state, stopped);
}

async function presentSingle(ctx: RuleContext, reply: Awaited<ReturnType<RuleContext['forward']>>) {
  if (!isSuccess(reply)) return reply;
  const body = replyJson(reply);
  return withBody(reply, JSON.stringify({ ...body, service: await present(ctx, body.service) }));
}

const createService: ActionRule = async (ctx) => {
  const input = ctx.call.input;
  await requireActiveCluster(ctx, input.cluster);
  const existing = await knownService(ctx, input.cluster, input.serviceName);
  // AWS honours clientToken: a retried CreateService returns the service the first call created.
  const token = input.clientToken ? `ecs:${input.clientToken}` : undefined;
  if (token && existing.moto && ctx.state.clientTokens.get(token) === existing.moto.serviceArn && existing.status === 'ACTIVE') {
    return jsonReply({ service: await present(ctx, existing.moto) });
  }
  if (existing.status === 'ACTIVE' || existing.status === 'DRAINING') {
    throw invalidParameter('Creation of service was not idempotent.');
  }
  const taskDefinition = await motoTaskDefinition(ctx, input.taskDefinition);
  if (taskDefinition) await validateServiceAgainstTaskDefinition(ctx, input, taskDefinition);
  const reply = await ctx.forward();
  if (!isSuccess(reply)) return reply;
  const service = replyJson(reply).service;
  const now = ctx.state.now();
  const record: ServiceRecord = {
    arn: service.serviceArn,
    name: service.serviceName,
    clusterArn: service.clusterArn,
    desiredCount: service.desiredCount ?? 0,
    rollout: { deploymentId: service.deployments?.[0]?.id ?? newDeploymentId(), startedAt: now, taskDefinition: service.taskDefinition, runningBefore: 0 },
    kept: keptSettings(input),
    targetGroups: (input.loadBalancers ?? []).map((lb: any) => ({ targetGroupArn: lb.targetGroupArn, containerName: lb.containerName, containerPort: lb.containerPort })),
    securityGroups: input.networkConfiguration?.awsvpcConfiguration?.securityGroups ?? [],
    tasks: [],
  };
  ctx.state.services.set(record.arn, record);
  if (token) ctx.state.clientTokens.set(token, record.arn);
  return presentSingle(ctx, reply);
};

async function validateServiceAgainstTaskDefinition(ctx: RuleContext, input: Record<string, any>, taskDefinition: any): Promise<void> {
  if (input.launchType === 'FARGATE' && !(taskDefinition.requiresCompatibilities ?? []).includes('FARGATE')) {
    throw invalidParameter('Task definition does not support launch_type FARGATE.');
  }
  const awsvpc = input.networkConfiguration?.awsvpcConfiguration;
  if (taskDefinition.networkMode === 'awsvpc') {
    if (!awsvpc) throw invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    // AWS would fall back to the VPC's default SG; moto crashes (HTTP 500), so the simulation insists.
    if (!awsvpc.securityGroups?.length) throw invalidParameter('securityGroups must be provided in awsvpcConfiguration (simulation rule).');
  }
  const loadBalancers: any[] = input.loadBalancers ?? [];
  if (input.healthCheckGracePeriodSeconds !== undefined && loadBalancers.length === 0) {
    throw invalidParameter('Health check grace period is only valid for services configured to use load balancers');
  }
  for (const lb of loadBalancers) {
    const container = (taskDefinition.containerDefinitions ?? []).find((c: any) => c.name === lb.containerName);
    if (!container) throw invalidParameter(`The container ${lb.containerName} does not exist in the task definition.`);
    if (!(container.portMappings ?? []).some((p: any) => p.containerPort === lb.containerPort)) {
      throw invalidParameter(`The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`);
    }
    const problem = await targetGroupProblem(ctx, lb.targetGroupArn, taskDefinition.networkMode);
    if (problem) throw invalidParameter(problem);
  }
  for (const roleArn of [taskDefinition.executionRoleArn, taskDefinition.taskRoleArn]) {
    const createdAt = roleArn && ctx.state.roleCreatedAt.get(roleArn);
    if (createdAt && !ctx.state.isOver(createdAt, 'roleWarmupMs')) {
      throw invalidParameter(
        `ECS was unable to assume the role '${roleArn}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.`,
      );
    }
  }
}

const updateService: ActionRule = async (ctx) => {
  const input = ctx.call.input;
  const { record, status, moto } = await knownService(ctx, input.cluster, input.service);
  if (moto && status !== 'ACTIVE') throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
  const newTaskDefinition = input.taskDefinition ? (await motoTaskDefinition(ctx, input.taskDefinition))?.taskDefinitionArn : undefined;
  const reply = await ctx.forward();
  if (!isSuccess(reply) || !record) return reply;
  const now = ctx.state.now();
  const runningNow = runningTaskCount(record, ctx.state);
  const taskDefinition = newTaskDefinition ?? record.rollout.taskDefinition;
  if (taskDefinition !== record.rollout.taskDefinition || input.forceNewDeployment) {
    record.rollout = {
      deploymentId: newDeploymentId(),
      startedAt: now,
      taskDefinition,
      previous: { taskDefinition: record.rollout.taskDefinition, running: runningNow, deploymentId: record.rollout.deploymentId },
      runningBefore: 0,
    };
  } else if (input.desiredCount !== undefined && input.desiredCount !== record.desiredCount) {
    const settled = now >= ctx.state.rolloutSettlesAt(record);
    record.rollout = { ...record.rollout, startedAt: now, runningBefore: runningNow, scaleOnly: settled || record.rollout.scaleOnly, previous: undefined };
  }
  if (input.desiredCount !== undefined) record.desiredCount = input.desiredCount;
  record.kept = { ...record.kept, ...keptSettings(input) };
  const groups = input.networkConfiguration?.awsvpcConfiguration?.securityGroups;
  if (groups) record.securityGroups = groups;
  return presentSingle(ctx, reply);
};

const deleteService: ActionRule = async (ctx) => {
  const input = ctx.call.input;
  const { record, status, moto } = await knownService(ctx, input.cluster, input.service);
  if (moto && status !== 'ACTIVE') throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
  const reply = await ctx.forward();
  if (isSuccess(reply) && record) record.deletedAt = ctx.state.now();
  return presentSingle(ctx, reply);
};

const describeServices: ActionRule = async (ctx) => {
  const reply = await ctx.forward();
  if (!isSuccess(reply)) return reply;
  const body = replyJson(reply);
  const services = await Promise.all((body.services ?? []).map((s: any) => present(ctx, s)));
  return withBody(reply, JSON.stringify({ ...body, services }));
};

/** AWS lists only ACTIVE and DRAINING services; moto lists INACTIVE ones too. */
const listServices: ActionRule = async (ctx) => {
  const reply = await ctx.forward();
  if (!isSuccess(reply)) return reply;
  const body = replyJson(reply);
  const visible = (body.serviceArns ?? []).filter((arn: string) => {
    const record = ctx.state.services.get(arn);
    return !record || ctx.state.serviceStatus(record) !== 'INACTIVE';
  });
  return withBody(reply, JSON.stringify({ ...body, serviceArns: visible }));
};

const deleteCluster: ActionRule = async (ctx) => {
  const cluster = await requireActiveCluster(ctx, ctx.call.input.cluster);
  const arns = (await ctx.moto.ecs.send(new ListServicesCommand({ cluster: cluster.clusterArn }))).serviceArns ?? [];
  const services = arns.length
    ? (await ctx.moto.ecs.send(new DescribeServicesCommand({ cluster: cluster.clusterArn, services: arns }))).services ?? []
    : [];
  const blocking = services.some((s) => {
    const record = ctx.state.services.get(s.serviceArn ?? '');
    return (record ? ctx.state.serviceStatus(record) : s.status) !== 'INACTIVE';
  });
  if (blocking) throw new AwsError('ClusterContainsServicesException', 'The Cluster cannot be deleted while Services are active.');
  return ctx.forward();
};

/**
 * ListTasks of a service: its RUNNING tasks (the default desiredStatus), or with STOPPED the crash loop
 * of a service made to fail. moto runs no tasks, so they go before whatever moto lists.
 */
const listTasks: ActionRule = async (ctx) => {
  const input = ctx.call.input;
  const desired = input.desiredStatus ?? 'RUNNING';
  const reply = await ctx.forward();
  if (!isSuccess(reply) || !input.serviceName || (desired !== 'RUNNING' && desired !== 'STOPPED')) return reply;
  const { record } = await knownService(ctx, input.cluster, input.serviceName);
  if (!record) return reply;
  const body = replyJson(reply);
  const tasks = desired === 'STOPPED' ? await stoppedTasks(ctx, record) : runningTasks(ctx.state, record);
  return withBody(reply, JSON.stringify({ ...body, taskArns: [...tasks.map((t) => t.taskArn), ...(body.taskArns ?? [])] }));
};

/**
 * DescribeTasks: tasks of ours (running, or stopped in a crash loop) are made up here, the rest go to
 * moto. The running tasks are indexed once and each task definition is fetched once per request.
 */
const describeTasks: ActionRule = async (ctx) => {
  const input = ctx.call.input;
  const requested: string[] = input.tasks ?? [];
  const running = runningTaskIndex(ctx.state);
  const definitions = new Map<string, Promise<TaskDefinition | undefined>>();
  const taskDefinitionOf = (arn: string) => {
    let definition = definitions.get(arn);
    if (!definition) definitions.set(arn, (definition = motoTaskDefinition(ctx, arn)));
    return definition;
  };
  const describeOurTask = async (arnOrId: string): Promise<any> => {
    const ours = running.get(arnOrId.split('/').pop() ?? '');
    if (ours) return taskView(ours.record, ours.task, await taskDefinitionOf(ours.task.taskDefinition), 'RUNNING');
    const stopped = findStoppedTask(ctx, arnOrId);
    return stopped && describeStoppedTask(ctx, stopped.record, stopped.task, taskDefinitionOf);
  };
  const described = await Promise.all(requested.map(describeOurTask));
  const others = requested.filter((_, i) => !described[i]);
  if (others.length === requested.length) return ctx.forward();
  let moto: any = { tasks: [], failures: [] };
  if (others.length > 0) {
    const reply = await ctx.forward(Buffer.from(JSON.stringify({ ...input, tasks: others })));
    if (!isSuccess(reply)) return reply;
    moto = replyJson(reply);
  }
  return jsonReply({ tasks: [...described.filter(Boolean), ...(moto.tasks ?? [])], failures: moto.failures ?? [] });
};

const registerTaskDefinition: ActionRule = async (ctx) => {
  validateTaskDefinition(ctx.call.input);
  return ctx.forward();
};

/**
 * AWS keeps an existing ACTIVE cluster (tags and settings) when CreateCluster names it again;
 * moto replaces it and wipes its tags, which would turn a retried call into a foreign cluster.
 * A cluster created without tags gets an empty list: moto keeps None, and its Resource Groups Tagging
 * GetResources then fails (HTTP 500) for everyone in the account.
 */
const createCluster: ActionRule = async (ctx) => {
  const existing = await motoCluster(ctx, ctx.call.input.clusterName ?? 'default');
  if (existing?.status === 'ACTIVE') return jsonReply({ cluster: existing });
  if (ctx.call.input.tags === undefined) return ctx.forward(Buffer.from(JSON.stringify({ ...ctx.call.input, tags: [] })));
  return ctx.forward();
};

export const ecsRules: Record<string, ActionRule> = {
  CreateCluster: createCluster,
  RegisterTaskDefinition: registerTaskDefinition,
  CreateService: createService,
  UpdateService: updateService,
  DeleteService: deleteService,
  DescribeServices: describeServices,
  ListServices: listServices,
  DeleteCluster: deleteCluster,
  ListTasks: listTasks,
  DescribeTasks: describeTasks,
};
