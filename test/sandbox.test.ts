import { readdirSync, readFileSync } from 'node:fs';
import { ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { AmpQueryClient } from '../src/aws/amp-query.js';
import { runCli, simEnv } from './support/cli.js';
import { eventually } from './support/sim-fixtures.js';
import { startGrafanaStandin, type GrafanaStandin } from './support/grafana-standin.js';

/** Every live process below pid (moto, prometheus, the app, the agent…), from /proc. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    for (const [child, ppid] of parent) if (ppid === p) { found.push(child); queue.push(child); }
  }
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

interface SandboxRun { pid: number; children: Set<number> }
const running = new Set<SandboxRun>();

/**
 * SIGKILL what is left of a sandbox: its process group (the CLI, the app, the agent, the data plane's
 * Prometheus), and any other process it started that is still alive (moto runs in a group of its own).
 */
function killAll(run: SandboxRun) {
  const kill = (target: number) => {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // gone, or not a group
    }
  };
  kill(-run.pid);
  for (const pid of run.children) {
    if (!alive(pid)) continue;
    kill(-pid);
    kill(pid);
  }
}
// A failed or timed-out test leaves no moto, Prometheus or app behind.
afterEach(() => {
  for (const run of running) killAll(run);
  running.clear();
});

/**
 * Runs the sandbox as a user would, in a process group of its own, watching which processes it starts.
 * `whenRunning` is called once it says it runs until Ctrl-C; then it gets Ctrl-C (SIGINT).
 */
async function runSandbox(args: string[], opts: { whenRunning?: (stderr: string) => Promise<void>; onStderr?: (stderr: string) => void } = {}) {
  let run: SandboxRun | undefined;
  let watch: NodeJS.Timeout | undefined;
  let interrupted = false;
  let note = '';
  try {
    const result = await runCli(['up', '--sandbox', ...args], simEnv({ FARGATE_PROM_TIME_SCALE: undefined }), {
      detached: true,
      timeoutMs: 150_000,
      onSpawn: (pid) => {
        const r: SandboxRun = { pid, children: new Set() };
        run = r;
        running.add(r);
        watch = setInterval(() => descendants(r.pid).forEach((p) => r.children.add(p)), 200);
      },
      onStderr: (stderr) => {
        opts.onStderr?.(stderr);
        if (opts.whenRunning && !interrupted && /press Ctrl-C/.test(stderr)) {
          interrupted = true;
          const pid = run!.pid;
          opts.whenRunning(stderr)
            .finally(() => { try { process.kill(pid, 'SIGINT'); } catch { /* already gone */ } })
            .catch((err) => (note += `\n[test] ${err}\n`));
        }
      },
      // runCli kills the process group; what else it started (moto runs in a group of its own) goes too.
      onTimeout: () => run && killAll(run),
    });
    return { code: result.code, stdout: result.stdout, stderr: result.stderr + note, children: run?.children ?? new Set<number>() };
  } finally {
    clearInterval(watch);
  }
}

/** The plan the sandbox prints before it applies anything. */
const PLAN = /Plan for stack fargate-prom in us-east-1 \(applying it now\)\n[\s\S]*\n25 create\n/;
/** The task id the start script read from the task metadata endpoint, from the agent's line the sandbox passes on. */
const startedTask = (stderr: string) => /\[prometheus-agent\] fargate-prom-agent: task (\S+): starting Prometheus/.exec(stderr)?.[1];

describe('up --sandbox: the main job on this machine', () => {
  let grafana: GrafanaStandin | undefined;
  afterEach(async () => {
    await grafana?.stop();
    grafana = undefined;
  });

  it('--once --grafana-url: plan, up, Grafana configured, status with real ingestion figures, destroy; no process left', async () => {
    // The stand-in learns its admin password from the stack's secret when it starts, as the Grafana task
    // does: from the sandbox's local AWS, whose address the sandbox prints.
    let stderrSoFar = '';
    grafana = await startGrafanaStandin({
      // Started as the sandbox says: with its keys in the environment, for the datasource's signed queries.
      awsCredentials: () => {
        const m = /start Grafana with AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+) /.exec(stderrSoFar);
        if (!m) throw new Error('the sandbox has not said which credentials Grafana needs');
        return { accessKeyId: m[1], secretAccessKey: m[2] };
      },
      password: async () => {
        const endpoint = /sandbox: local AWS at (\S+),/.exec(stderrSoFar)?.[1];
        if (!endpoint) throw new Error('the sandbox has not said where its local AWS is');
        const secrets = new SecretsManagerClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
        try {
          return (await secrets.send(new GetSecretValueCommand({ SecretId: 'fargate-prom/fargate-prom/grafana-admin' }))).SecretString!;
        } finally {
          secrets.destroy();
        }
      },
    });
    const run = await runSandbox(['--once', '--json', '--grafana-url', grafana.url], { onStderr: (all) => (stderrSoFar = all) });
    expect(run.stdout, run.stderr).not.toBe('');
    // With --json stdout is the status document alone; the plan came first, with the progress.
    expect(run.stderr).toMatch(PLAN);
    // Grafana's EFS storage is in the plan, as on AWS.
    for (const kind of ['efs-file-system', 'efs-mount-targets', 'efs-access-point']) expect(run.stderr.slice(0, run.stderr.indexOf('Applying'))).toContain(kind);
    expect(run.stderr.indexOf('Plan for stack')).toBeLessThan(run.stderr.indexOf('Applying 25 changes'));
    const status = JSON.parse(run.stdout);
    expect(status.resources).toHaveLength(25);
    expect(status.resources.every((r: { healthy: boolean }) => r.healthy)).toBe(true);
    const m = status.metrics;
    expect(m).toMatchObject({ checked: true, healthy: true, job: 'fargate-prom', targets: { up: 1, expected: 1 } });
    // The instance label is the ECS task id the start script read from the task metadata endpoint.
    const taskId = startedTask(run.stderr);
    expect(taskId).toMatch(/^[0-9a-f]{32}$/);
    expect(m.targets.instances).toEqual([{ instance: taskId, up: true, sampleAgeSeconds: expect.any(Number) }]);
    // Fresh by the product's own measure (the sandbox scrapes every 5 s), whatever the machine's speed.
    expect(Number.isFinite(m.newestSampleAgeSeconds)).toBe(true);
    // Stale after max(60 s, 3 × the 5 s interval) = 60 s, as status judges it (README).
    expect(m.newestSampleAgeSeconds).toBeLessThan(60);
    expect(m.activeSeries).toBeGreaterThan(0);
    expect(m.samplesPerSecond).toBeGreaterThan(0);
    expect(m.samplesPerMonth).toBeGreaterThan(0);

    // Grafana: up configured it, status checked it. The datasource queries the sandbox's AMP, the local
    // data plane (FARGATE_PROM_AMP_ENDPOINT), and Grafana's health check of it (a signed query) passes.
    expect(run.stderr).not.toMatch(/Grafana is skipped/);
    const planeUrl = /local AMP data plane at (\S+)\n/.exec(run.stderr)![1];
    const datasourceUrl = `${planeUrl}/workspaces/${status.amp.workspaceId}`;
    expect(grafana.datasources.get('fargate-prom-amp')).toMatchObject({
      type: 'grafana-amazonprometheus-datasource',
      url: datasourceUrl,
      jsonData: { sigV4Auth: true, sigV4AuthType: 'default', sigV4Region: 'us-east-1' },
    });
    const dashboard = grafana.dashboards.get('fargate-prom-nodejs');
    expect(dashboard?.folderUid).toBe('fargate-prom-folder');
    expect(dashboard?.dashboard.panels.length).toBeGreaterThan(0);
    expect(grafana.violations).toEqual([]);
    expect(status.grafana, JSON.stringify(status.grafana.problems)).toMatchObject({
      checked: true, reachable: true, healthy: true,
      datasource: { uid: 'fargate-prom-amp', present: true, matches: true, healthy: true },
      dashboard: { uid: 'fargate-prom-nodejs', present: true },
    });
    expect(status.healthy).toBe(true);
    expect(run.code, run.stderr).toBe(0);

    // --once ran a short load on the sample app before the status (its report goes with the progress
    // under --json), and charted the data plane's samples of it.
    expect(run.stderr).toMatch(/Load on http:\/\/127\.0\.0\.1:\d+\/\n  Requests: +120 sent in 6s, 120 ok/);
    expect(run.stderr).toMatch(/In AMP \(job fargate-prom\), before → during the run:\n\nRequests [\d.]+ req\/s → [\d.]+ req\/s\n/);
    expect(run.stderr.indexOf('Load on')).toBeLessThan(run.stderr.indexOf('sandbox: destroying the stack'));
    expect(run.stderr).toContain('sandbox: destroying the stack');
    // It started moto, two Prometheus (data plane, agent), the agent's shell and the app; none is left.
    expect(run.children.size).toBeGreaterThanOrEqual(4);
    expect([...run.children].filter(alive)).toEqual([]);
  });

  it('without --once: the plan, then it runs until Ctrl-C (status works from another shell meanwhile), then destroys the stack and stops every process', async () => {
    let fromAnotherShell: Awaited<ReturnType<typeof runCli>> | undefined;
    let loadRun: Awaited<ReturnType<typeof runCli>> | undefined;
    let appReceived = -1;
    let recheck: AmpQueryClient | undefined;
    const rechecked = new Map<string, [number, number][]>();
    let appTaskIds: string[] = [];
    const run = await runSandbox([], {
      whenRunning: async (stderr) => {
        // The tasks the local AWS says the app service runs, asked as any AWS client would.
        const endpoint = /sandbox: local AWS at (\S+),/.exec(stderr)?.[1];
        const ecs = new ECSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
        try {
          const arns = (await ecs.send(new ListTasksCommand({ cluster: 'fargate-prom', serviceName: 'fargate-prom-app' }))).taskArns ?? [];
          appTaskIds = arns.map((arn) => arn.split('/').pop()!);
        } finally {
          ecs.destroy();
        }
        // The command it suggests, run as printed.
        const [, env, command] = /from another shell: ((?:\S+=\S+ )+)fargate-prom (status .*)$/m.exec(stderr) ?? [];
        expect(command, stderr).toBeDefined();
        const vars = Object.fromEntries(env.trim().split(' ').map((kv) => kv.split('=')));
        fromAnotherShell = await runCli([...command.split(' '), '--json'], simEnv(vars));
        // The load command it suggests, shortened: the app counts what it received, the charts come
        // from the data plane's Prometheus, holding what the agent really scraped.
        const [, loadCommand] = /load it from another shell: (?:\S+=\S+ )+fargate-prom (load .*) --duration 30s$/m.exec(stderr) ?? [];
        expect(loadCommand, stderr).toBeDefined();
        const appUrl = /--app-url (\S+)/.exec(loadCommand)![1];
        const served = async () => Number(/^http_requests_total\{method="GET",route="\/",status="200"\} (\d+)$/m.exec(await (await fetch(`${appUrl}metrics`)).text())?.[1]);
        // The charts' "before" needs samples from before the run: a few scrapes of the counter first.
        const planeUrl = /--amp-endpoint-url (\S+)/.exec(loadCommand)![1];
        const ws = fromAnotherShell.json().amp.workspaceId;
        recheck = new AmpQueryClient(`${planeUrl}/workspaces/${ws}`, 'us-east-1', async () => ({ accessKeyId: vars.AWS_ACCESS_KEY_ID, secretAccessKey: vars.AWS_SECRET_ACCESS_KEY }));
        const scrapes = async () => Number((await recheck!.instant('count_over_time(http_requests_total{job="fargate-prom"}[10m])'))[0]?.value[1] ?? 0);
        await eventually(async () => (await scrapes()) >= 3, 60_000, 'three scrapes of the app before the load', 500);
        const before = await served();
        loadRun = await runCli([...loadCommand.split(' '), '--duration', '4s', '--rate', '30', '--json'], simEnv(vars));
        appReceived = (await served()) - before;
        const charts = loadRun.code === 0 ? (loadRun.json().charts ?? []) : [];
        for (const c of charts) {
          if (c.points.length < 2) continue;
          const [first, second] = c.points;
          const again = await recheck.range(c.promql, first[0], c.points.at(-1)[0], second[0] - first[0]);
          rechecked.set(c.key, again[0]?.values.map(([t, v]) => [t, Number(v)]) ?? []);
        }
      },
    });
    // The plan goes with the progress (stderr), before anything is applied; the status is the result (stdout).
    expect(run.stderr).toMatch(PLAN);
    expect(run.stderr.indexOf('Plan for stack')).toBeLessThan(run.stderr.indexOf('Applying 25 changes'));
    expect(run.stdout).toContain('Metrics:  arriving in AMP');
    expect(run.stderr).toMatch(/Grafana is skipped in the sandbox/);
    expect(run.stderr).toContain('sandbox: stopping');
    expect(run.stdout).toContain('Sweep: nothing tagged with the stack is left.');
    expect(run.code, run.stderr).toBe(0);
    expect([...run.children].filter(alive)).toEqual([]);

    expect(fromAnotherShell?.code, fromAnotherShell?.stderr ?? run.stderr).toBe(0);
    const m = fromAnotherShell!.json().metrics;
    expect(m).toMatchObject({ healthy: true, targets: { up: 1, expected: 1, instances: [{ instance: startedTask(run.stderr), up: true }] } });
    // That task id is one of the tasks the simulated ECS service runs.
    expect(appTaskIds).toHaveLength(1);
    expect(appTaskIds).toContain(m.targets.instances[0].instance);

    // load: the total is what the sample app counted; the charts are the data plane's own answers.
    expect(loadRun?.code, loadRun?.stderr).toBe(0);
    const load = loadRun!.json();
    expect(load.requests.total).toBe(appReceived);
    expect(load.requests).toMatchObject({ ok: appReceived, errors: 0 });
    expect(recheck).toBeDefined();
    expect(load.charts.map((c: { key: string }) => c.key)).toEqual(['requestRate', 'cpu', 'eventLoopLag', 'heapUsed']);
    for (const c of load.charts) {
      expect(c.points.length, c.key).toBeGreaterThanOrEqual(2);
      expect(rechecked.get(c.key), c.key).toEqual(c.points);
      expect(c.during, c.key).toBe(Math.max(...c.points.filter(([t]: [number]) => t * 1000 >= Date.parse(load.startedAt)).map(([, v]: [number, number]) => v)));
    }
    // The request rate moved with the load: from the scrapes alone before, to real traffic during.
    const rate = load.charts[0];
    expect(rate.during).toBeGreaterThan(rate.before);
    expect(rate.during).toBeGreaterThan(1);
  });

  it('refuses flags that point at a real account, before starting anything', async () => {
    const run = await runCli(['up', '--sandbox', '--region', 'eu-west-1'], simEnv());
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('error: --region: the sandbox runs its own local AWS and sample app; drop this flag or drop --sandbox');
  });

  it('--once without --sandbox is a usage error', async () => {
    const run = await runCli(['up', '--once', '--app-image', 'x/y:1', '--yes'], simEnv());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--once: it only applies to the sandbox');
  });
});
