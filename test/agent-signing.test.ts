import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAppTask, type LocalTask } from '../src/sandbox/local-task.js';
import { freeLoopbackPort } from '@fargate-prom/aws-sim/util/ports';
import { eventually } from './support/sim-fixtures.js';
import { underCi } from './support/environment.js';
import { withStack } from './support/stack.js';

// The agent signing for itself: Debian 13's prometheus 2.53.3 (fetched by scripts/ensure-test-deps.sh;
// Debian 12's 2.42 does not sign), run with the config and start script `up` registered, writing
// straight to the data plane that checks SigV4 like AMP, with no signing proxy in between. The agent
// (the task role's keys) and status (the user's) sign with different credentials, as on AWS.
const SIGNING_PROMETHEUS = resolve(import.meta.dirname, '../.cache/prometheus-2.53.3/prometheus');
const STACK = 'signs';
const KEYS = { accessKeyId: 'AKIDSIGNINGTEST', secretAccessKey: 'the-right-secret' };
let appPort: number;
const tasks: LocalTask[] = [];
const upArgs = (desiredCount: number) =>
  ['--app-image', 'ghcr.io/acme/shop:1.4', '--app-port', String(appPort), '--desired-count', String(desiredCount), '--scrape-interval', '1s', '--yes'];

// Without the binary, a machine skips this; CI fails instead: it must not pass without the only proof
// that the agent signs its own writes.
const haveSigningPrometheus = existsSync(SIGNING_PROMETHEUS);

describe.skipIf(!haveSigningPrometheus && !underCi)('the agent signs its remote writes itself (Prometheus 2.53.3)', () => {
  beforeAll(async () => {
    if (!haveSigningPrometheus) throw new Error(`${SIGNING_PROMETHEUS} is missing: run sh scripts/ensure-test-deps.sh (npm test does), which fetches it for amd64 and arm64`);
  });
  const stack = withStack({
    name: STACK,
    plane: [KEYS, { accessKeyId: 'testing', secretAccessKey: 'testing' }],
    args: async () => {
      appPort = await freeLoopbackPort();
      return upArgs(1);
    },
  });
  const status = () => stack.cli(['status', '--name', STACK, '--amp-endpoint-url', stack.plane.url, '--json']);
  afterAll(async () => {
    await Promise.all(tasks.map((t) => t.stop()));
  });

  // The agent scrapes localhost:<the stack's app port>; a second task on this one host runs its own app
  // elsewhere and its agent scrapes the first task's app.
  async function task(secretAccessKey: string, port: number, onAgentLine: (line: string) => void = () => undefined) {
    const t = await startLocalAppTask({
      awsEndpoint: stack.sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      stack: STACK, appPort: port, planeUrl: stack.plane.url,
      prometheusBin: SIGNING_PROMETHEUS, agentSigns: true, agentCredentials: { ...KEYS, secretAccessKey },
      onLine: (container, line) => { if (container === 'prometheus-agent') onAgentLine(line); },
    });
    tasks.push(t);
    return t;
  }

  it('the data plane accepts its signature (service aps, the region of the config) and status sees the task\'s samples', async () => {
    const t = await task(KEYS.secretAccessKey, appPort);
    const s = await eventually(async () => {
      const run = await status();
      if (run.json().metrics.targets?.up === 1) return run;
      throw new Error(`status shows no target up yet; last (exit ${run.code}):\n${run.stdout}${run.stderr}`);
    }, 60_000, 'status to see the task\'s target up', 500);
    expect(s.code, s.stdout).toBe(0);
    expect(s.json().metrics).toMatchObject({ healthy: true, targets: { up: 1, expected: 1, instances: [{ instance: t.taskId, up: true }] } });
    expect(stack.plane.rejections().count).toBe(0);
  });

  it('a second task signing with the wrong secret key: its writes are refused, and status shows why', async () => {
    const scaled = await stack.cli(['up', '--name', STACK, ...upArgs(2)]);
    expect(scaled.code, scaled.stderr).toBe(0);
    let refused: () => void;
    const seen = new Promise<void>((r) => (refused = r));
    const t = await task('not-the-secret', await freeLoopbackPort(), (line) => { if (/403 Forbidden/.test(line)) refused(); });
    await seen;
    expect(stack.plane.rejections().last).toMatch(/signature we calculated does not match/);
    const s = await eventually(async () => {
      const run = await status();
      if ((run.json().metrics.agentLog ?? []).some((l: { task: string }) => l.task === t.taskId)) return run;
      throw new Error(`status shows no agent log line of task ${t.taskId} yet; last (exit ${run.code}):\n${run.stdout}${run.stderr}`);
    }, 20_000, 'status to show the refused agent\'s log line', 500);
    // The first task's samples keep arriving; the second's never get in.
    expect(s.code).toBe(3);
    expect(s.json().metrics.problems).toEqual(['1 of 2 scrape targets up']);
    const line = s.json().metrics.agentLog?.find((l: { task: string }) => l.task === t.taskId)?.line;
    expect(line).toMatch(/403 Forbidden.*signature we calculated does not match/);
  });
});
