import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAmpDataPlane, type AmpDataPlane } from '../src/sim/amp-data-plane.js';
import { startLocalAppTask, type LocalTask } from '../src/sim/local-task.js';
import { startSimulation, type Simulation } from '../src/sim/simulation.js';
import { freePort } from '../src/sim/task-metadata.js';
import { runCli, simEnv } from './support/cli.js';

// Why metrics do not arrive is in the agent's log; status reads it from CloudWatch Logs and shows it.
// (The unreachable endpoint is behind the local signing proxy, which answers 502 for it; see sigv4-proxy.ts.)
const STACK = 'errs';
const KEYS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
let sim: Simulation;
let plane: AmpDataPlane;
const tasks: LocalTask[] = [];

beforeAll(async () => {
  [sim, plane] = await Promise.all([startSimulation(), startAmpDataPlane({ region: 'us-east-1', credentials: KEYS })]);
  const up = await runCli(['up', '--name', STACK, '--endpoint-url', sim.endpoint, '--app-image', 'ghcr.io/acme/shop:1.4', '--desired-count', '2', '--scrape-interval', '1s', '--yes', '--json'], simEnv());
  expect(up.code, up.stderr).toBe(0);
});
afterAll(async () => {
  await Promise.all(tasks.map((t) => t.stop()));
  await Promise.all([sim?.stop(), plane?.stop()]);
});

/** Starts one local app task and resolves once its agent has logged a line matching `seen`. */
async function taskThatFails(seen: RegExp, opts: { agentCredentials?: typeof KEYS; planeUrl?: string }) {
  let resolveSeen: () => void;
  const logged = new Promise<void>((resolve) => (resolveSeen = resolve));
  const task = await startLocalAppTask({
    awsEndpoint: sim.endpoint, region: 'us-east-1', credentials: KEYS, stack: STACK, appPort: await freePort(),
    planeUrl: opts.planeUrl ?? plane.url, agentCredentials: opts.agentCredentials,
    onLine: (container, line) => { if (container === 'prometheus-agent' && seen.test(line)) resolveSeen(); },
  });
  tasks.push(task);
  await logged;
  return task;
}

describe('status shows the agent errors that explain missing metrics', () => {
  it('a rejected signature and an unreachable endpoint, one line per task, with exit 3', async () => {
    const [rejected, unreachable] = await Promise.all([
      taskThatFails(/403 Forbidden/, { agentCredentials: { ...KEYS, secretAccessKey: 'not-the-key' } }),
      taskThatFails(/Failed to send batch/, { planeUrl: `http://127.0.0.1:${await freePort()}` }),
    ]);
    // The log lines reach CloudWatch Logs a moment after the agent prints them.
    let status = await runCli(['status', '--name', STACK, '--endpoint-url', sim.endpoint, '--amp-endpoint-url', plane.url, '--json'], simEnv());
    for (let i = 0; i < 20 && (status.json().metrics.agentLog ?? []).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 500));
      status = await runCli(['status', '--name', STACK, '--endpoint-url', sim.endpoint, '--amp-endpoint-url', plane.url, '--json'], simEnv());
    }
    expect(status.code, status.stderr).toBe(3);
    const m = status.json().metrics;
    expect(m.problems).toEqual(['no samples of job errs in the workspace', '0 of 2 scrape targets up']);
    const byTask = Object.fromEntries(m.agentLog.map((l: { task: string; line: string }) => [l.task, l.line]));
    expect(byTask[rejected.taskId]).toMatch(/403 Forbidden.*signature we calculated does not match/);
    expect(byTask[unreachable.taskId]).toMatch(/Failed to send batch.*ECONNREFUSED/);

    const text = await runCli(['status', '--name', STACK, '--endpoint-url', sim.endpoint, '--amp-endpoint-url', plane.url], simEnv());
    expect(text.code).toBe(3);
    expect(text.stdout).toContain(`agent log, task ${rejected.taskId}:`);
    expect(text.stdout).toContain(`agent log, task ${unreachable.taskId}:`);
  });
});
