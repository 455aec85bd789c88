import { CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { ContainerDefinition, TaskDefinition } from '@aws-sdk/client-ecs';
import type { RuleContext } from '../rule.js';
import type { ServiceRecord, StoppedTask, TaskFailure } from '../state.js';
import { motoTaskDefinition } from './ecs-lookup.js';
import { newTask, taskView } from './ecs-tasks.js';

/** ECS keeps about this many recently stopped tasks visible per service. */
const MAX_STOPPED_TASKS = 10;

const logWrites = new WeakMap<TaskFailure, Promise<void>>();

/**
 * The crash loop of a service made to fail with `failTasks`: one task launched and stopped per
 * serviceStartMs since the failure began (until it was healed; those tasks stay listed). New tasks are created on demand, and their log lines are
 * written to moto's CloudWatch Logs before anyone can see the task.
 */
export async function stoppedTasks(ctx: RuleContext, record: ServiceRecord): Promise<StoppedTask[]> {
  const failure = ctx.state.taskFailures.get(record.name);
  if (!failure) return [];
  const { state } = ctx;
  const period = Math.max(state.timing.serviceStartMs, 50);
  const begin = Math.max(failure.since, record.rollout.startedAt);
  const until = Math.min(state.now(), failure.healedAt ?? Infinity);
  const due = Math.min(MAX_STOPPED_TASKS, 1 + Math.floor((until - begin) / period));
  const fresh: StoppedTask[] = [];
  const ofThisService = () => failure.tasks.filter((t) => t.serviceArn === record.arn);
  // Synchronous up to here, so concurrent calls never create the same task twice.
  for (let i = ofThisService().length; i < due; i++) {
    const stoppedAt = begin + i * period;
    const task = { serviceArn: record.arn, ...newTask(record), startedAt: stoppedAt - Math.floor(period / 2), stoppedAt };
    failure.tasks.push(task);
    fresh.push(task);
  }
  if (fresh.length > 0 && failure.logLines?.length) {
    const previous = logWrites.get(failure) ?? Promise.resolve();
    logWrites.set(failure, previous.then(() => writeTaskLogs(ctx, record, failure, fresh)));
  }
  await logWrites.get(failure);
  return ofThisService().reverse();
}

/** The container whose exit stops the task: the first essential one. */
function failingContainer(taskDefinition: TaskDefinition | undefined): ContainerDefinition | undefined {
  const containers = taskDefinition?.containerDefinitions ?? [];
  return containers.find((c) => c.essential !== false) ?? containers[0];
}

async function writeTaskLogs(ctx: RuleContext, record: ServiceRecord, failure: TaskFailure, tasks: StoppedTask[]): Promise<void> {
  const container = failingContainer(await motoTaskDefinition(ctx, record.rollout.taskDefinition));
  const options = container?.logConfiguration?.logDriver === 'awslogs' ? container.logConfiguration.options ?? {} : undefined;
  const group = options?.['awslogs-group'];
  if (!container || !group) return;
  const prefix = options['awslogs-stream-prefix'];
  for (const task of tasks) {
    const stream = prefix ? `${prefix}/${container.name}/${task.taskId}` : task.taskId;
    try {
      await ctx.moto.logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
      await ctx.moto.logs.send(new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: stream,
        logEvents: (failure.logLines ?? []).map((message, i) => ({ message, timestamp: task.startedAt + i })),
      }));
    } catch (err) {
      // On AWS a missing log group stops the task before it logs anything; there is nothing to write.
      if ((err as Error).name !== 'ResourceNotFoundException') throw err;
    }
  }
}

/** A stopped task in DescribeTasks shape. */
export async function describeStoppedTask(
  ctx: RuleContext,
  record: ServiceRecord,
  task: StoppedTask,
  taskDefinitionOf: (arn: string) => Promise<TaskDefinition | undefined> = (arn) => motoTaskDefinition(ctx, arn),
): Promise<any> {
  const failure = ctx.state.taskFailures.get(record.name);
  const taskDefinition = await taskDefinitionOf(record.rollout.taskDefinition);
  const failing = failingContainer(taskDefinition);
  const deployment = { deploymentId: record.rollout.deploymentId, taskDefinition: record.rollout.taskDefinition };
  const view = taskView(record, { ...task, ...deployment }, taskDefinition, 'STOPPED');
  const at = (ms: number) => ms / 1000;
  return {
    ...view,
    stopCode: 'EssentialContainerExited',
    stoppedReason: failure?.stoppedReason ?? 'Essential container in task exited',
    stoppingAt: at(task.stoppedAt - 10),
    stoppedAt: at(task.stoppedAt),
    containers: view.containers.map((c) => (c.name === failing?.name ? { ...c, exitCode: failure?.exitCode ?? 1 } : c)),
  };
}

/** The failing service and stopped task a task ARN or id belongs to, if it is one of ours. */
export function findStoppedTask(ctx: RuleContext, arnOrId: string): { record: ServiceRecord; task: StoppedTask } | undefined {
  const id = arnOrId.split('/').pop();
  for (const failure of ctx.state.taskFailures.values()) {
    const task = failure.tasks.find((t) => t.taskId === id);
    const record = task && ctx.state.services.get(task.serviceArn);
    if (task && record) return { record, task };
  }
  return undefined;
}
