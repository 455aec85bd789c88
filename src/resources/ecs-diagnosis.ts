import { describeError } from '../aws/errors.js';
import type { Context } from './context.js';
import { sdk } from '../aws/sdk.js';

const { DescribeTaskDefinitionCommand, DescribeTasksCommand, ListTasksCommand } = sdk.ecs();
const { GetLogEventsCommand } = sdk.logs();

const LOG_LINES = 10;

/**
 * Why a service's tasks keep stopping, in the words a person needs: each stopped task's reason,
 * each container's exit code, and the last log lines of the container that failed.
 */
export async function diagnoseService(ctx: Context, cluster: string, service: string): Promise<string> {
  try {
    const list = await ctx.aws.ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'STOPPED' }));
    const arns = (list.taskArns ?? []).slice(0, 3);
    if (arns.length === 0) return '  no stopped tasks to inspect; see the service events in the ECS console';
    const tasks = (await ctx.aws.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [];
    const lines: string[] = [];
    for (const task of tasks) {
      const taskId = task.taskArn!.split('/').pop()!;
      lines.push(`  task ${taskId}: ${task.stoppedReason ?? 'stopped'}`);
      for (const c of task.containers ?? []) {
        lines.push(`    container ${c.name}: exit code ${c.exitCode ?? 'none'}${c.reason ? ` (${c.reason})` : ''}`);
      }
    }
    const failing = tasks[0]?.containers?.find((c) => c.exitCode !== undefined && c.exitCode !== 0) ?? tasks[0]?.containers?.[0];
    if (failing && tasks[0]) {
      const logs = await lastLogLines(ctx, tasks[0].taskDefinitionArn!, failing.name!, tasks[0].taskArn!.split('/').pop()!);
      if (logs.length) lines.push(`  last log lines of ${failing.name}:`, ...logs.map((l) => `    ${l}`));
    }
    return lines.join('\n');
  } catch (err) {
    return `  could not inspect the stopped tasks: ${describeError(err)}`;
  }
}

async function lastLogLines(ctx: Context, taskDefinitionArn: string, container: string, taskId: string): Promise<string[]> {
  const td = await ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }));
  const opts = td.taskDefinition?.containerDefinitions?.find((c) => c.name === container)?.logConfiguration?.options;
  if (!opts?.['awslogs-group'] || !opts['awslogs-stream-prefix']) return [];
  try {
    const out = await ctx.aws.logs.send(new GetLogEventsCommand({
      logGroupName: opts['awslogs-group'],
      logStreamName: `${opts['awslogs-stream-prefix']}/${container}/${taskId}`,
      limit: LOG_LINES,
      startFromHead: false,
    }));
    return (out.events ?? []).map((e) => (e.message ?? '').trimEnd());
  } catch {
    return [];
  }
}
