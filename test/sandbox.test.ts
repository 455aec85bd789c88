import { readdirSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, runCli, simEnv } from './support/cli.js';

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

/** Runs the sandbox as a user would, watching which processes it starts. */
function runSandbox(args: string[], opts: { interruptWhen?: RegExp } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; children: Set<number> }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'up', '--sandbox', ...args], { env: simEnv({ FARGATE_PROM_TIME_SCALE: undefined }), stdio: ['ignore', 'pipe', 'pipe'] });
    const children = new Set<number>();
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (opts.interruptWhen && !interrupted && opts.interruptWhen.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const watch = setInterval(() => descendants(child.pid!).forEach((p) => children.add(p)), 200);
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(watch);
      clearTimeout(timer);
      resolve({ code, stdout, stderr, children });
    });
  });
}

describe('up --sandbox: the main job on this machine', () => {
  it('--once runs up, status with real ingestion figures, and destroy, then exits 0 leaving no process', async () => {
    const run = await runSandbox(['--once', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout);
    expect(status.healthy).toBe(true);
    expect(status.resources).toHaveLength(20);
    const m = status.metrics;
    expect(m).toMatchObject({ checked: true, healthy: true, job: 'fargate-prom', targets: { up: 1, expected: 1 } });
    // The instance label is the ECS task id the start script read from the task metadata endpoint.
    expect(m.targets.instances).toEqual([{ instance: expect.stringMatching(/^[0-9a-f]{32}$/), up: true, sampleAgeSeconds: expect.any(Number) }]);
    expect(m.newestSampleAgeSeconds).toBeLessThan(15);
    // prom-client's default metrics plus the scrape's own series, every 5 s.
    expect(m.activeSeries).toBeGreaterThan(30);
    expect(m.samplesPerSecond).toBeGreaterThan(m.activeSeries / 5 * 0.7);
    expect(m.samplesPerSecond).toBeLessThan(m.activeSeries / 5 * 1.3);
    expect(run.stderr).toContain('sandbox: destroying the stack');
    expect(run.stderr).toMatch(/Grafana is skipped in the sandbox/);
    // It started moto, two Prometheus (data plane, agent), the agent's shell and the app; none is left.
    expect(run.children.size).toBeGreaterThanOrEqual(4);
    expect([...run.children].filter(alive)).toEqual([]);
  });

  it('without --once it runs until Ctrl-C, then destroys the stack and stops every process', async () => {
    const run = await runSandbox([], { interruptWhen: /press Ctrl-C/ });
    expect(run.stderr).toContain('sandbox: stopping');
    expect(run.stdout).toContain('Metrics:  arriving in AMP');
    expect(run.stdout).toContain('Sweep: nothing tagged with the stack is left.');
    expect(run.code, run.stderr).toBe(0);
    expect([...run.children].filter(alive)).toEqual([]);
  });

  it('refuses flags that point at a real account, before starting anything', async () => {
    const run = await runCli(['up', '--sandbox', '--region', 'eu-west-1'], simEnv());
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('error: --region: the sandbox runs its own local AWS and sample app; drop this flag or drop --sandbox');
  });

  it('says how to install moto when moto_server is not on PATH', async () => {
    const run = await runCli(['up', '--sandbox', '--once'], simEnv({ PATH: '/usr/bin:/bin' }));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--sandbox needs moto_server on PATH: install moto with \"pip install 'moto[server]==5.2.1'\"");
  });

  it('--once without --sandbox is a usage error', async () => {
    const run = await runCli(['up', '--once', '--app-image', 'x/y:1', '--yes'], simEnv());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--once: it only applies to the sandbox');
  });
});
