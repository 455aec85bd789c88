import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListWorkspacesCommand } from '@aws-sdk/client-amp';
import { DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, DescribeListenersCommand, DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, ListServicesCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { startSimulation, type Simulation } from '../src/sim/simulation.js';
import { startAmpDataPlane, type AmpDataPlane } from '../src/sim/amp-data-plane.js';
import { simClients, type SimClients } from './support/sim-fixtures.js';
import { runCli, simEnv, type CliRun } from './support/cli.js';

let sim: Simulation;
let plane: AmpDataPlane;
let moto: SimClients;
const IMAGE = ['--app-image', 'ghcr.io/acme/shop:1.4', '--desired-count', '1'];
const cli = (args: string[], opts?: Parameters<typeof runCli>[2]) => runCli([...args, '--endpoint-url', sim.endpoint], simEnv(), opts);

beforeAll(async () => {
  [sim, plane] = await Promise.all([startSimulation(), startAmpDataPlane({ region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })]);
  moto = simClients(sim.motoEndpoint);
});
afterAll(async () => {
  await Promise.all([sim?.stop(), plane?.stop()]);
});

/** What exists for a stack, counted straight from moto (no proxy rules, no CLI code). */
async function inventory(stack: string) {
  const lbs = (await moto.elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers!.filter((l) => l.LoadBalancerName === `${stack}-alb`);
  const listeners = lbs.length ? (await moto.elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbs[0].LoadBalancerArn }))).Listeners! : [];
  const rules = listeners.length ? (await moto.elb.send(new DescribeRulesCommand({ ListenerArn: listeners[0].ListenerArn }))).Rules!.filter((r) => !r.IsDefault) : [];
  const tgs = (await moto.elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups!.filter((t) => t.TargetGroupName!.startsWith(`${stack}-`));
  const workspaces = (await moto.amp.send(new ListWorkspacesCommand({ alias: stack }))).workspaces!.filter((w) => w.status?.statusCode !== 'DELETING');
  const sgs = (await moto.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:fargate-prom:stack', Values: [stack] }] }))).SecurityGroups!;
  // moto also lists deleted (INACTIVE) services; count the live ones.
  const arns = await moto.ecs.send(new ListServicesCommand({ cluster: stack })).then((o) => o.serviceArns!, () => [] as string[]);
  const services = arns.length
    ? (await moto.ecs.send(new DescribeServicesCommand({ cluster: stack, services: arns }))).services!.filter((x) => x.status !== 'INACTIVE').length
    : 0;
  const revisions = (await moto.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: `${stack}-app`, status: 'ACTIVE' }))).taskDefinitionArns!.length;
  return { lbs: lbs.length, listeners: listeners.length, rules: rules.length, tgs: tgs.length, workspaces: workspaces.length, sgs: sgs.length, services, revisions };
}

const EXPECTED = { lbs: 1, listeners: 1, rules: 1, tgs: 2, workspaces: 1, sgs: 2, services: 2 };

function ok(run: CliRun) {
  expect(run.code, `exit ${run.code}\n${run.stderr.slice(-3000)}`).toBe(0);
  return run.json();
}

describe('faults: 10% throttling and 5% server errors on every call', () => {
  afterAll(() => sim.setFaults(undefined));
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])('seed %i: up then destroy succeed, with no duplicates', async (seed) => {
    sim.setFaults({ seed, throttleRate: 0.1, serverErrorRate: 0.05 });
    const stack = `fault${seed}`;
    const up = ok(await cli(['up', '--name', stack, ...IMAGE, '--yes', '--json']));
    expect(up.aws.retries).toBeGreaterThan(0);
    expect(await inventory(stack)).toMatchObject(EXPECTED);
    const down = ok(await cli(['destroy', '--name', stack, '--yes', '--json']));
    expect(down.leftovers).toEqual([]);
    expect(await inventory(stack)).toMatchObject({ lbs: 0, tgs: 0, workspaces: 0, sgs: 0, services: 0, revisions: 0 });
    expect(sim.calls().some((c) => c.fault === 'throttle')).toBe(true);
  });

  it('dropped connections (before and after AWS ran the call) are retried without duplicates', async () => {
    sim.setFaults({ seed: 42, dropRate: 0.2 });
    sim.clearCalls();
    const up = ok(await cli(['up', '--name', 'drops', ...IMAGE, '--yes', '--json']));
    expect(up.resources).toHaveLength(20);
    expect(await inventory('drops')).toMatchObject(EXPECTED);
    ok(await cli(['destroy', '--name', 'drops', '--yes', '--json']));
    expect(await inventory('drops')).toMatchObject({ lbs: 0, tgs: 0, workspaces: 0, sgs: 0, services: 0, revisions: 0 });
    // The hard case happened: a create or delete that AWS ran, whose reply was lost, was retried.
    // (Across ~80 mutating calls at 20% drops, half of them after the call ran, missing it is ~0.02%.)
    expect(sim.calls().filter((c) => c.fault === 'drop-after' && c.mutating).length).toBeGreaterThan(0);
  });
});

/** Runs `up` and SIGKILLs it once the simulation has seen `k` mutating calls. */
async function upKilledAfter(stack: string, k: number): Promise<CliRun> {
  const before = sim.calls().filter((c) => c.mutating).length;
  let timer: NodeJS.Timeout | undefined;
  return cli(['up', '--name', stack, ...IMAGE, '--yes', '--json'], {
    onSpawn: (pid) => {
      timer = setInterval(() => {
        if (sim.calls().filter((c) => c.mutating).length - before >= k) {
          clearInterval(timer);
          try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
        }
      }, 2);
    },
  }).finally(() => clearInterval(timer));
}

describe('interruptions: killed at any point, the next up converges and destroy leaves nothing', () => {
  it.each([1, 4, 8, 12, 16, 20, 24, 28])('SIGKILL after %i mutating calls', async (k) => {
    const stack = `kill${k}`;
    const killed = await upKilledAfter(stack, k);
    expect(killed.signal === 'SIGKILL' || killed.code === 0).toBe(true);
    const again = ok(await cli(['up', '--name', stack, ...IMAGE, '--yes', '--json']));
    expect(again.resources).toHaveLength(20);
    expect(await inventory(stack)).toMatchObject({ ...EXPECTED, revisions: 1 });
    // A third run agrees that nothing is left to do.
    const third = ok(await cli(['up', '--name', stack, ...IMAGE, '--yes', '--json']));
    expect(third.resources.every((r: any) => r.action === 'unchanged')).toBe(true);
    const down = ok(await cli(['destroy', '--name', stack, '--yes', '--json']));
    expect(down.leftovers).toEqual([]);
  });

  it('SIGKILL during destroy: the next destroy finishes', async () => {
    ok(await cli(['up', '--name', 'killd', ...IMAGE, '--yes', '--json']));
    const before = sim.calls().filter((c) => c.mutating).length;
    let timer: NodeJS.Timeout | undefined;
    await cli(['destroy', '--name', 'killd', '--yes', '--json'], {
      onSpawn: (pid) => {
        timer = setInterval(() => {
          if (sim.calls().filter((c) => c.mutating).length - before >= 5) {
            clearInterval(timer);
            try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
          }
        }, 2);
      },
    }).finally(() => clearInterval(timer));
    const down = ok(await cli(['destroy', '--name', 'killd', '--yes', '--json']));
    expect(down.leftovers).toEqual([]);
    expect(await inventory('killd')).toMatchObject({ lbs: 0, tgs: 0, workspaces: 0, sgs: 0, services: 0, revisions: 0 });
  });

  it('Ctrl-C (SIGINT) stops cleanly, says what was done and not, exits 130; up then finishes', async () => {
    const before = sim.calls().filter((c) => c.mutating).length;
    let timer: NodeJS.Timeout | undefined;
    const run = await cli(['up', '--name', 'ctrlc', ...IMAGE, '--yes'], {
      onSpawn: (pid) => {
        timer = setInterval(() => {
          if (sim.calls().filter((c) => c.mutating).length - before >= 6) {
            clearInterval(timer);
            process.kill(pid, 'SIGINT');
          }
        }, 2);
      },
    }).finally(() => clearInterval(timer));
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/interrupted/);
    expect(run.stderr).toMatch(/not started: /);
    expect(run.stderr).toMatch(/run `fargate-prom up` again/);
    ok(await cli(['up', '--name', 'ctrlc', ...IMAGE, '--yes', '--json']));
    ok(await cli(['destroy', '--name', 'ctrlc', '--yes', '--json']));
  });
});

describe('isolation', () => {
  it('two stacks go up and down at the same time without touching each other', async () => {
    const [a, b] = await Promise.all([
      cli(['up', '--name', 'twin-a', ...IMAGE, '--yes', '--json']),
      cli(['up', '--name', 'twin-b', ...IMAGE, '--yes', '--json']),
    ]);
    ok(a);
    ok(b);
    expect(await inventory('twin-a')).toMatchObject(EXPECTED);
    expect(await inventory('twin-b')).toMatchObject(EXPECTED);
    const downA = cli(['destroy', '--name', 'twin-a', '--yes', '--json']);
    const statusB = await cli(['status', '--name', 'twin-b', '--amp-endpoint-url', plane.url, '--json']);
    ok(await downA);
    // Every resource of B stays healthy while A goes (exit 3 only because no agent sends metrics here).
    expect(statusB.json().resources.filter((r: any) => !r.healthy)).toEqual([]);
    expect(statusB.json().metrics.problems).toContain('no samples of job twin-b in the workspace');
    expect(await inventory('twin-b')).toMatchObject(EXPECTED);
    ok(await cli(['destroy', '--name', 'twin-b', '--yes', '--json']));
  });
});
