import type { Deployment, Service, ServiceEvent } from '@aws-sdk/client-ecs';

/**
 * Service event texts that mean ECS cannot launch the service's tasks at all. No task starts, so
 * none stops: these show only in the service's events. Wording from
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html
 * ("was unable to place a task", "is unable to consistently start tasks successfully") and as ECS
 * prints them in the field ("failed to launch a task with (error ECS was unable to assume the role
 * ...)", "unable to pull secrets or registry auth").
 */
const CANNOT_LAUNCH = [
  /was unable to place a task/i,
  /failed to launch a task/i,
  /unable to pull secrets or registry auth/i,
  /is unable to consistently start tasks successfully/i,
];
const TASKS_STARTED = /has started \d+ tasks?/i;
// A task that stopped was launched: its reason (even "unable to assume the role") is the stopped-task
// logic's business, which knows to excuse roles this run just created.
const TASK_STOPPED = /\btask \S+ stopped\b|has stopped \d+ running tasks?/i;

export const isLaunchFailure = (message: string) => !TASK_STOPPED.test(message) && CANNOT_LAUNCH.some((re) => re.test(message));

const time = (e: ServiceEvent) => e.createdAt?.getTime() ?? 0;

/**
 * The launch-failure events of this deployment that no task start has followed yet, newest first.
 * Events from before the deployment began belong to an earlier one and do not count.
 */
export function pendingLaunchFailures(service: Service, deployment: Deployment): ServiceEvent[] {
  const since = deployment.createdAt?.getTime() ?? 0;
  const events = (service.events ?? []).filter((e) => time(e) >= since).sort((a, b) => time(b) - time(a));
  const lastStart = events.find((e) => TASKS_STARTED.test(e.message ?? ''));
  return events.filter((e) => time(e) > (lastStart ? time(lastStart) : -Infinity) && isLaunchFailure(e.message ?? ''));
}

/**
 * Watches a deployment for launch failures that last. Some are transient: a role created seconds
 * ago may not be assumable yet (IAM is eventually consistent,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency),
 * and ECS retries on its own. Only a failure that stays unanswered by any task start for the whole
 * window is fatal.
 */
export class LaunchFailureWatch {
  private since?: number;
  private readonly seen = new Map<string, ServiceEvent>();
  /** The newest unanswered failure at the last check, while the window runs. */
  pending?: ServiceEvent;

  constructor(private readonly windowMs: number, private readonly now: () => number = Date.now) {}

  /** The failure events that have gone unanswered for the window, newest first; undefined while there is hope. */
  check(service: Service, deployment: Deployment): ServiceEvent[] | undefined {
    const failures = (deployment.runningCount ?? 0) > 0 ? [] : pendingLaunchFailures(service, deployment);
    this.pending = failures[0];
    if (failures.length === 0) {
      this.since = undefined;
      return undefined;
    }
    for (const e of failures) this.seen.set(e.id ?? `${time(e)}:${e.message}`, e);
    this.since ??= this.now();
    return this.now() - this.since >= this.windowMs ? failures : undefined;
  }

  /** Every launch-failure event seen during the wait, newest first, one line each. */
  table(): string {
    return [...this.seen.values()]
      .sort((a, b) => time(b) - time(a))
      .map((e) => `  ${e.createdAt?.toISOString() ?? 'unknown time'}  ${e.message ?? ''}`)
      .join('\n');
  }
}
