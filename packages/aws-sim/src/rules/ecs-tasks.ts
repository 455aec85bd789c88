import { randomBytes } from 'node:crypto';
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import type { RunningTask, ServiceRecord, SimState } from '../state.js';
import { taskCounts } from './ecs-service-view.js';

/** A fresh task of the service's cluster: a 32-hex-digit id and arn:aws:ecs:<region>:<account>:task/<cluster>/<id>. */
export function newTask(record: ServiceRecord): { taskId: string; taskArn: string } {
  const taskId = randomBytes(16).toString('hex');
  const clusterName = record.clusterArn.split('/').pop();
  return { taskId, taskArn: record.clusterArn.replace(/:cluster\/.*$/, `:task/${clusterName}/${taskId}`) };
}

/**
 * The RUNNING tasks of a service, as many per deployment as DescribeServices counts (moto runs none).
 * Tasks still counted keep their ids; a new deployment or a scale-up brings new ones; a DRAINING or
 * INACTIVE service has none.
 */
export function runningTasks(state: SimState, record: ServiceRecord): RunningTask[] {
  if (state.serviceStatus(record) !== 'ACTIVE') return (record.tasks = []);
  const counts = taskCounts(record, state);
  const { rollout } = record;
  const deployments = [{ deploymentId: rollout.deploymentId, taskDefinition: rollout.taskDefinition, running: counts.primaryRunning }];
  if (rollout.previous) deployments.push({ ...rollout.previous, running: counts.previousRunning });
  const startedAt = Math.min(state.now(), state.rolloutSettlesAt(record));
  record.tasks = deployments.flatMap(({ deploymentId, taskDefinition, running }) => {
    const kept = record.tasks.filter((t) => t.deploymentId === deploymentId).slice(0, running);
    while (kept.length < running) kept.push({ deploymentId, taskDefinition, startedAt, ...newTask(record) });
    return kept;
  });
  return record.tasks;
}

/** Every RUNNING task of ours by task id, with its service: build once, then look up many. */
export function runningTaskIndex(state: SimState): Map<string, { record: ServiceRecord; task: RunningTask }> {
  const index = new Map<string, { record: ServiceRecord; task: RunningTask }>();
  for (const record of state.services.values()) {
    for (const task of runningTasks(state, record)) if (!index.has(task.taskId)) index.set(task.taskId, { record, task });
  }
  return index;
}

/** A task of a service in DescribeTasks shape: what running and stopped tasks share. */
export function taskView(record: ServiceRecord, task: Omit<RunningTask, 'taskId'>, taskDefinition: TaskDefinition | undefined, status: 'RUNNING' | 'STOPPED') {
  const at = (ms: number) => ms / 1000;
  return {
    taskArn: task.taskArn,
    clusterArn: record.clusterArn,
    taskDefinitionArn: task.taskDefinition,
    group: `service:${record.name}`,
    startedBy: task.deploymentId,
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    cpu: taskDefinition?.cpu,
    memory: taskDefinition?.memory,
    lastStatus: status,
    desiredStatus: status,
    createdAt: at(task.startedAt - 100),
    startedAt: at(task.startedAt),
    containers: (taskDefinition?.containerDefinitions ?? []).map((container) => ({
      containerArn: `${task.taskArn.replace(':task/', ':container/')}/${container.name}`,
      taskArn: task.taskArn,
      name: container.name,
      image: container.image,
      lastStatus: status,
    })),
  };
}
