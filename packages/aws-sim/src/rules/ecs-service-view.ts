import type { ServiceRecord, SimState, StoppedTask } from '../state.js';

export interface TaskCounts {
  primaryRunning: number;
  primaryPending: number;
  /** Tasks of the deployment being replaced that still run. */
  previousRunning: number;
  settled: boolean;
}

/** How many tasks run right now, from the rollout clock (moto never starts any). */
export function taskCounts(record: ServiceRecord, state: SimState): TaskCounts {
  const desired = record.desiredCount;
  const { rollout } = record;
  const previousRunning = rollout.previous?.running ?? 0;
  const failure = state.taskFailures.get(record.name);
  if (failure && failure.healedAt === undefined) {
    // Crash loop: new tasks keep being launched and stopping; the old deployment keeps serving.
    return { primaryRunning: 0, primaryPending: desired, previousRunning, settled: false };
  }
  const blocker = state.launchBlocker(record);
  if (blocker && !(state.now() >= state.rolloutSettlesAt(record))) {
    // No task can be launched (or, once healed, they are still starting): none runs or is pending yet.
    const starting = blocker.healedAt !== undefined && state.now() >= blocker.healedAt;
    return { primaryRunning: 0, primaryPending: starting ? desired : 0, previousRunning, settled: false };
  }
  if (state.now() >= state.rolloutSettlesAt(record)) {
    return { primaryRunning: desired, primaryPending: 0, previousRunning: 0, settled: true };
  }
  if (rollout.previous) return { primaryRunning: 0, primaryPending: desired, previousRunning, settled: false };
  const running = Math.min(rollout.runningBefore, desired);
  return { primaryRunning: running, primaryPending: desired - running, previousRunning: 0, settled: false };
}

export function runningTaskCount(record: ServiceRecord, state: SimState): number {
  const counts = taskCounts(record, state);
  return counts.primaryRunning + counts.previousRunning;
}

const seconds = (ms: number) => ms / 1000;

/**
 * Rewrites a moto service object (CreateService/UpdateService/DeleteService/DescribeServices) so
 * its status, counts, deployments and events follow the simulated clock.
 */
export function presentService(service: any, record: ServiceRecord | undefined, state: SimState, stopped: StoppedTask[] = []): any {
  if (!record) return service;
  const status = state.serviceStatus(record);
  if (status !== 'ACTIVE') {
    return { ...service, status, desiredCount: 0, runningCount: 0, pendingCount: 0 };
  }
  const counts = taskCounts(record, state);
  const { rollout } = record;
  const base = service.deployments?.[0] ?? {};
  const inProgress = !counts.settled && !rollout.scaleOnly;
  const primary = {
    ...base,
    id: rollout.deploymentId,
    status: 'PRIMARY',
    taskDefinition: rollout.taskDefinition,
    desiredCount: record.desiredCount,
    runningCount: counts.primaryRunning,
    pendingCount: counts.primaryPending,
    failedTasks: stopped.length,
    createdAt: seconds(rollout.startedAt),
    updatedAt: seconds(state.now()),
    rolloutState: inProgress ? 'IN_PROGRESS' : 'COMPLETED',
    rolloutStateReason: inProgress
      ? `ECS deployment ${rollout.deploymentId} in progress.`
      : `ECS deployment ${rollout.deploymentId} completed.`,
  };
  const deployments: any[] = [primary];
  if (rollout.previous && !counts.settled) {
    deployments.push({
      ...base,
      id: rollout.previous.deploymentId,
      status: 'ACTIVE',
      taskDefinition: rollout.previous.taskDefinition,
      desiredCount: rollout.previous.running,
      runningCount: counts.previousRunning,
      pendingCount: 0,
      failedTasks: 0,
      rolloutState: 'COMPLETED',
      rolloutStateReason: `ECS deployment ${rollout.previous.deploymentId} completed.`,
    });
  }
  return {
    ...service,
    ...record.kept,
    status,
    taskDefinition: rollout.taskDefinition,
    desiredCount: record.desiredCount,
    runningCount: counts.primaryRunning + counts.previousRunning,
    pendingCount: counts.primaryPending,
    deployments,
    events: [...serviceEvents(record, state, counts, stopped), ...(service.events ?? [])],
  };
}

/** ECS service events, newest first, in the wording ECS uses. */
function serviceEvents(record: ServiceRecord, state: SimState, counts: TaskCounts, stopped: StoppedTask[]): any[] {
  const events: Array<{ id: string; createdAt: number; message: string }> = [];
  const failure = state.taskFailures.get(record.name);
  for (const task of stopped) {
    events.push({
      id: `${task.taskId}-started`,
      createdAt: seconds(task.startedAt),
      message: `(service ${record.name}) has started 1 tasks: (task ${task.taskId}).`,
    });
    events.push({
      id: `${task.taskId}-stopped`,
      createdAt: seconds(task.stoppedAt),
      message: `(service ${record.name}) task ${task.taskId} stopped: ${failure?.stoppedReason ?? 'Essential container in task exited'}`,
    });
  }
  const blocker = state.launchBlocker(record);
  if (blocker) {
    // ECS shows a repeated message once until its cause is resolved (service-event-messages).
    events.push({
      id: `${record.rollout.deploymentId}-launch-failed`,
      createdAt: seconds(Math.max(blocker.since, record.rollout.startedAt)),
      message: `(service ${record.name}) ${blocker.message}`,
    });
  }
  if (counts.settled) {
    const settledAt = state.rolloutSettlesAt(record);
    events.push({
      id: `${record.rollout.deploymentId}-started`,
      createdAt: seconds(settledAt),
      message: `(service ${record.name}) has started ${record.desiredCount} tasks.`,
    });
    events.push({
      id: `${record.rollout.deploymentId}-steady`,
      createdAt: seconds(state.phaseEnd(settledAt, 'targetHealthyMs')),
      message: `(service ${record.name}) has reached a steady state.`,
    });
  }
  return events.filter((e) => e.createdAt <= seconds(state.now())).sort((a, b) => b.createdAt - a.createdAt);
}
