import { afterAll, describe, expect, it } from 'vitest';
import { startLocalAppTask, type LocalTask } from '../src/sandbox/local-task.js';
import { freeLoopbackPort } from '@fargate-prom/aws-sim/util/ports';
import { withStack } from './support/stack.js';

// Why metrics do not arrive is in the agent's log; status reads it from CloudWatch Logs and shows it.
// (The unreachable endpoint is behind the local signing proxy, which answers 502 for it; see sigv4-proxy.ts.)
const STACK = 'errs';
const KEYS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const SEEN_WITHIN_MS = 30_000;
const tasks: LocalTask[] = [];

const UP_ARGS = ['--app-image', 'ghcr.io/acme/shop:1.4', '--desired-count', '2', '--scrape-interval', '1s', '--yes', '--json'];
const stack = withStack({ name: STACK, args: UP_ARGS, plane: KEYS });
const up = (name: string) => stack.cli(['up', '--name', name, ...UP_ARGS]);
const status = (name: string, json = true) =>
  stack.cli(['status', '--name', name, '--amp-endpoint-url', stack.plane.url, ...(json ? ['--json'] : [])]);

afterAll(async () => {
  await Promise.all(tasks.map((t) => t.stop()));
});

/** Starts one local app task and resolves once its agent has logged a line matching `seen` (bounded). */
async function taskThatFails(name: string, seen: RegExp, opts: { agentCredentials?: typeof KEYS; planeUrl?: string }) {
  const lines: string[] = [];
  let resolveSeen!: () => void;
  const logged = new Promise<void>((resolve) => (resolveSeen = resolve));
  const task = await startLocalAppTask({
    awsEndpoint: stack.sim.endpoint, region: 'us-east-1', credentials: KEYS, stack: name, appPort: await freeLoopbackPort(),
    planeUrl: opts.planeUrl ?? stack.plane.url, agentCredentials: opts.agentCredentials,
    onLine: (container, line) => {
      if (container !== 'prometheus-agent') return;
      lines.push(line);
      if (seen.test(line)) resolveSeen();
    },
  });
  tasks.push(task);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the agent of task ${task.taskId} logged no line matching ${seen} within ${SEEN_WITHIN_MS} ms; it logged:\n${lines.join('\n')}`)), SEEN_WITHIN_MS);
  });
  try {
    await Promise.race([logged, late]);
  } finally {
    clearTimeout(timer);
  }
  return task;
}

/** status --json once the agent log holds a line of each of these tasks (they reach CloudWatch Logs a moment after the agent prints them); bounded. */
async function statusShowing(name: string, taskIds: string[]) {
  const shows = (run: Awaited<ReturnType<typeof status>>) => {
    const logged = new Set((run.json().metrics.agentLog ?? []).map((l: { task: string }) => l.task));
    return taskIds.every((id) => logged.has(id));
  };
  let run = await status(name);
  for (let i = 0; i < 20 && !shows(run); i++) {
    await new Promise((r) => setTimeout(r, 500));
    run = await status(name);
  }
  return run;
}

describe('status shows the agent errors that explain missing metrics', () => {
  it('a rejected signature and an unreachable endpoint, one line per task, with exit 3', async () => {
    const [rejected, unreachable] = await Promise.all([
      taskThatFails(STACK, /403 Forbidden/, { agentCredentials: { ...KEYS, secretAccessKey: 'not-the-key' } }),
      taskThatFails(STACK, /Failed to send batch/, { planeUrl: `http://127.0.0.1:${await freeLoopbackPort()}` }),
    ]);
    const run = await statusShowing(STACK, [rejected.taskId, unreachable.taskId]);
    expect(run.code, run.stderr).toBe(3);
    const m = run.json().metrics;
    expect(m.problems).toEqual(['no samples of job errs in the workspace', '0 of 2 scrape targets up']);
    const byTask = Object.fromEntries(m.agentLog.map((l: { task: string; line: string }) => [l.task, l.line]));
    expect(byTask[rejected.taskId]).toMatch(/403 Forbidden.*signature we calculated does not match/);
    expect(byTask[unreachable.taskId]).toMatch(/Failed to send batch.*ECONNREFUSED/);

    const text = await status(STACK, false);
    expect(text.code).toBe(3);
    expect(text.stdout).toContain(`agent log, task ${rejected.taskId}:`);
    expect(text.stdout).toContain(`agent log, task ${unreachable.taskId}:`);
  });

  it('a remote-write URL with a wrong path: the server\'s 404, in the agent log and in status', async () => {
    // Its own stack, so the lines of the tasks above do not crowd the few status shows.
    const name = 'errs404';
    const run = await up(name);
    expect(run.code, run.stderr).toBe(0);
    // A Prometheus is not AMP: it serves no /workspaces/<id>/api/v1/remote_write and answers 404.
    const wrongPath = await taskThatFails(name, /404 Not Found/, { planeUrl: stack.plane.prometheusUrl });
    const s = await statusShowing(name, [wrongPath.taskId]);
    expect(s.code, s.stderr).toBe(3);
    const m = s.json().metrics;
    expect(m.problems).toEqual(['no samples of job errs404 in the workspace', '0 of 2 scrape targets up']);
    const line = m.agentLog.find((l: { task: string }) => l.task === wrongPath.taskId)?.line;
    expect(line).toMatch(/^(?=.*level=error)(?=.*component=remote).*server returned HTTP status 404 Not Found/);

    const text = await status(name, false);
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(new RegExp(`agent log, task ${wrongPath.taskId}:.*404 Not Found`));
  });
});
