import type { Context } from '../resources/context.js';
import { sdk } from '../aws/sdk.js';

const { FilterLogEventsCommand } = sdk.logs();

export interface AgentLogLine {
  /** The ECS task id (the log stream is <prefix>/<container>/<task id>). */
  task: string;
  line: string;
}

const LOOK_BACK_MS = 15 * 60_000;
const MAX_PAGES = 3;
const SHOWN = 3;
/** Prometheus 2.x logs `level=error`, 3.x `level=ERROR`; an unreachable endpoint is only a warning ("Failed to send batch, retrying"); the start script logs its failures (and one line when it starts Prometheus). */
const ERROR_LINE = /level=(?:error|ERROR)\b|Failed to send batch|^fargate-prom-agent: (?!task \S+: starting)/;

/**
 * The agent's recent errors from its CloudWatch log group: why samples do not arrive (a rejected
 * signature, a wrong URL, a metadata endpoint that never answered). Newest last, repeats folded.
 */
export async function recentAgentErrors(ctx: Context): Promise<AgentLogLine[]> {
  const startTime = Date.now() - LOOK_BACK_MS;
  const found = new Map<string, AgentLogLine>();
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await ctx.aws.logs.send(new FilterLogEventsCommand({
      logGroupName: ctx.spec.names.agentLogGroup,
      startTime,
      nextToken,
    }));
    for (const e of out.events ?? []) {
      const line = (e.message ?? '').trimEnd();
      if (!ERROR_LINE.test(line)) continue;
      const task = (e.logStreamName ?? '').split('/').pop() ?? '';
      // The same failure repeats on every retry with a new timestamp: keep its latest.
      const key = `${task} ${line.replace(/^(?:ts|time)=\S+\s*/, '').replace(/\b(?:count|exemplarCount|histogramCount)=\d+\s*/g, '')}`;
      found.delete(key);
      found.set(key, { task, line });
    }
    nextToken = out.nextToken;
    if (!nextToken) break;
  }
  return [...found.values()].slice(-SHOWN);
}
