// `agent-config` prints what `up` deploys: checked against the task definition `up` registered in the
// simulation, against promtool, and without a stack or any AWS call when --workspace-id is given.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeTaskDefinitionCommand, type ContainerDefinition } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TASK_ID_PLACEHOLDER } from '../src/templates/agent.js';
import { runCli, simEnv } from './support/cli.js';
import { withStack } from './support/stack.js';

const exec = promisify(execFile);
const STACK = 'cfg';
// Not the defaults: the printed config must follow the same flags as `up`.
const FLAGS = ['--app-port', '8081', '--metrics-path', '/internal/metrics', '--scrape-interval', '5s'];
const WORKSPACE = 'ws-12345678-abcd-1234-abcd-123456789012';

let workspaceId: string;
let agent: ContainerDefinition;
let dir: string;

const agentConfig = (args: string[], env = simEnv()) => runCli(['agent-config', '--name', STACK, ...args], env);

const stack = withStack({ name: STACK, args: ['--app-image', 'ghcr.io/acme/shop:1.4', ...FLAGS, '--desired-count', '1', '--yes', '--json'] });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fargate-prom-agent-config-'));
  workspaceId = stack.up!.json().amp.workspaceId;
  const td = (await stack.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${STACK}-app` }))).taskDefinition!;
  agent = td.containerDefinitions!.find((c) => c.name === 'prometheus-agent')!;
});
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What ECS adds to a container definition it registers, when the definition leaves them out. */
const ECS_DEFAULTS: Record<string, unknown> = { cpu: 0, portMappings: [], mountPoints: [], volumesFrom: [], systemControls: [] };
function withoutEcsDefaults(c: ContainerDefinition): Record<string, unknown> {
  return Object.fromEntries(Object.entries(c).filter(([key, v]) => v !== undefined && JSON.stringify(v) !== JSON.stringify(ECS_DEFAULTS[key])));
}

describe('agent-config against the stack up registered', () => {
  it('--format yaml (the default) is the config the registered agent container carries', async () => {
    const run = await agentConfig(['--endpoint-url', stack.sim.endpoint, ...FLAGS]);
    expect(run.code, run.stderr).toBe(0);
    const registered = agent.environment!.find((e) => e.name === 'PROM_AGENT_CONFIG')!.value!;
    expect(run.stdout).toBe(registered);
    expect(parse(run.stdout).remote_write[0].url).toBe(`https://aps-workspaces.us-east-1.amazonaws.com/workspaces/${workspaceId}/api/v1/remote_write`);
    // The placeholder is printed as it is; the container's start script (its command) replaces it.
    expect(parse(run.stdout).scrape_configs[0].relabel_configs).toEqual([{ target_label: 'instance', replacement: TASK_ID_PLACEHOLDER }]);
    expect(agent.command![0]).toContain(`s/${TASK_ID_PLACEHOLDER}/$task_id/g`);
    expect(run.stderr).toBe('');

    const explicit = await agentConfig(['--format', 'yaml', '--endpoint-url', stack.sim.endpoint, ...FLAGS]);
    expect(explicit.stdout).toBe(registered);
  });

  it('--format container is the registered agent container definition, but for what ECS adds', async () => {
    const run = await agentConfig(['--format', 'container', '--endpoint-url', stack.sim.endpoint, ...FLAGS]);
    expect(run.code, run.stderr).toBe(0);
    const printed = run.json();
    expect(printed.name).toBe('prometheus-agent');
    expect(printed.restartPolicy).toEqual({ enabled: true });
    expect(withoutEcsDefaults(agent)).toEqual(printed);
  });

  it('--workspace-id of the stack\'s workspace prints the same, with no AWS call', async () => {
    stack.sim.clearCalls();
    const run = await agentConfig(['--workspace-id', workspaceId, '--region', 'us-east-1', ...FLAGS], simEnv({ AWS_REGION: undefined }));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(agent.environment!.find((e) => e.name === 'PROM_AGENT_CONFIG')!.value!);
    expect(stack.sim.calls()).toEqual([]);
  });

  it('without --workspace-id and no such stack: exit 4, and the way out', async () => {
    const run = await runCli(['agent-config', '--name', 'nostack', '--endpoint-url', stack.sim.endpoint], simEnv());
    expect(run.code).toBe(4);
    expect(run.stderr.trim()).toBe('error: no AMP workspace of stack nostack in us-east-1; pass --workspace-id, or run `fargate-prom up` first');
    expect(run.stdout).toBe('');
  });

  it('promtool check config --agent passes on the yaml output, as printed and as the start script writes it', async () => {
    const run = await agentConfig(['--endpoint-url', stack.sim.endpoint, ...FLAGS]);
    expect(run.code, run.stderr).toBe(0);
    const printed = join(dir, 'printed.yml');
    const substituted = join(dir, 'substituted.yml');
    writeFileSync(printed, run.stdout);
    writeFileSync(substituted, run.stdout.replaceAll(TASK_ID_PLACEHOLDER, '0123456789abcdef0123456789abcdef'));
    const { stdout, stderr } = await exec('promtool', ['check', 'config', '--agent', printed, substituted]);
    expect((stdout + stderr).match(/SUCCESS/g)).toHaveLength(2);
    expect(stdout + stderr).not.toMatch(/FAILED/);
  });
});

describe('agent-config with --workspace-id and no stack: the region the standard way, no AWS call', () => {
  /** An environment with no stack to find and no region unless given: a HOME whose ~/.aws/config has a profile. */
  function envWithProfile(extra: Record<string, string | undefined> = {}) {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.aws'), { recursive: true });
    writeFileSync(join(home, '.aws/config'), '[profile shop]\nregion = eu-west-1\n');
    return simEnv({ HOME: home, AWS_REGION: undefined, AWS_PROFILE: undefined, ...extra });
  }
  const regionOf = (yaml: string) => {
    const cfg = parse(yaml);
    return { url: cfg.remote_write[0].url, sigv4: cfg.remote_write[0].sigv4.region };
  };
  const inRegion = (region: string) => ({ url: `https://aps-workspaces.${region}.amazonaws.com/workspaces/${WORKSPACE}/api/v1/remote_write`, sigv4: region });

  // --endpoint-url points at the simulation, which records every call: there must be none.
  const cases: Array<[string, string[], Record<string, string | undefined>, string]> = [
    ['--region', ['--region', 'ap-southeast-2'], {}, 'ap-southeast-2'],
    ['AWS_REGION', [], { AWS_REGION: 'us-west-2' }, 'us-west-2'],
    ['the region of --profile', ['--profile', 'shop'], {}, 'eu-west-1'],
    ['the region of AWS_PROFILE', [], { AWS_PROFILE: 'shop' }, 'eu-west-1'],
  ];
  for (const [from, args, env, region] of cases) {
    it(`from ${from}`, async () => {
      stack.sim.clearCalls();
      const run = await runCli(['agent-config', '--name', 'nostack', '--workspace-id', WORKSPACE, '--endpoint-url', stack.sim.endpoint, ...args], envWithProfile(env));
      expect(run.code, run.stderr).toBe(0);
      expect(regionOf(run.stdout)).toEqual(inRegion(region));
      expect(stack.sim.calls()).toEqual([]);
    });
  }

  it('--format container too: the log group of stack --name in that region', async () => {
    stack.sim.clearCalls();
    const run = await runCli(['agent-config', '--name', 'nostack', '--workspace-id', WORKSPACE, '--format', 'container', '--endpoint-url', stack.sim.endpoint], envWithProfile({ AWS_REGION: 'us-west-2' }));
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().logConfiguration).toEqual({ logDriver: 'awslogs', options: { 'awslogs-group': '/fargate-prom/nostack/agent', 'awslogs-region': 'us-west-2', 'awslogs-stream-prefix': 'agent' } });
    expect(stack.sim.calls()).toEqual([]);
  });

  it("a profile whose region is not an AWS region: exit 2 naming --region and the profile", async () => {
    const env = envWithProfile();
    writeFileSync(join(env.HOME!, '.aws/config'), '[profile typo]\nregion = eu-west-9\n');
    const run = await runCli(['agent-config', '--workspace-id', WORKSPACE, '--profile', 'typo'], env);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/^error: --region: "eu-west-9" \(the region of profile typo\) is not an AWS region; /);
  });

  it('no region anywhere: exit 2 naming --region', async () => {
    const run = await runCli(['agent-config', '--workspace-id', WORKSPACE], envWithProfile());
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('error: --region: no AWS region is configured; pass --region (e.g. --region us-east-1) or set AWS_REGION');
  });
});

describe('agent-config input errors: exit 2 naming the flag, before any AWS call', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown --format', ['--format', 'json'], /^error: --format: "json" is not a format; use --format yaml or --format container$/],
    ['a malformed --workspace-id', ['--workspace-id', 'ws-nope'], /^error: --workspace-id: "ws-nope" is not an AMP workspace id; pass e\.g\. --workspace-id ws-/],
    ['a workspace ARN as --workspace-id', ['--workspace-id', `arn:aws:aps:us-east-1:123456789012:workspace/${WORKSPACE}`], /^error: --workspace-id: ".*" is not an AMP workspace id/],
    ['a bad --scrape-interval', ['--scrape-interval', 'often'], /^error: --scrape-interval: "often" is not valid/],
    ['--json, which it does not offer (its output is the config itself)', ['--json'], /^error: unknown option '--json'/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      stack.sim.clearCalls();
      const run = await agentConfig(['--endpoint-url', stack.sim.endpoint, ...args]);
      expect(run.code).toBe(2);
      expect(run.stderr.trim()).toMatch(message);
      expect(run.stdout).toBe('');
      expect(stack.sim.calls()).toEqual([]);
    });
  }
});
