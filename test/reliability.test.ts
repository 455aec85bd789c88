import { ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimCall, SimTiming } from '@fargate-prom/aws-sim/testing';
import { CREDENTIALS, eventually } from './support/sim-fixtures.js';
import type { CliRun, RunCliOptions } from './support/cli.js';
import { withStack } from './support/stack.js';
import { countKinds, describeAll, readStack, type StackView } from './support/reliability-stack.js';

// Short simulated waits: about forty `up`s run here, and what is tested is order and outcome, not time.
const FAST: SimTiming = {
  serviceStartMs: 300,
  targetHealthyMs: 100,
  albProvisionMs: 150,
  ampCreateMs: 150,
  ampDeleteMs: 100,
  roleWarmupMs: 150,
  drainMs: 150,
  eniLingerMs: 200,
  secretDeletionMs: 200,
  iamPropagationMs: 0,
  logGroupListingMs: 0,
  efsFileSystemCreateMs: 300,
  efsMountTargetCreateMs: 300,
  efsMountTargetDeleteMs: 300,
  efsAccessPointCreateMs: 200,
};

// The stack an uninterrupted `up` makes; every resumed `up` must make exactly the same. It stays up
// for the whole file, so the other tests also show that they never touch a stack of another name.
const REFERENCE = 'calm';

/** One stack, counted by kind straight from moto: no duplicate of anything, one revision per family. */
const EXPECTED = {
  securityGroups: 3, // the ALB's, the tasks', and the EFS mount targets'
  loadBalancers: 1,
  listeners: 1,
  rules: 2, // /dashboard → Grafana, and the metrics path → 404
  targetGroups: 2,
  clusters: 1,
  services: 2,
  taskDefinitions: 2,
  revisions: { app: 1, grafana: 1 },
  roles: 3,
  logGroups: 3,
  secrets: 1,
  workspaces: 1,
  fileSystems: 1,
  accessPoints: 1,
};

const UP_FLAGS = ['--app-image', 'ghcr.io/acme/shop:1.4', '--desired-count', '1', '--yes', '--json'];
const upArgs = (stack: string) => ['up', '--name', stack, ...UP_FLAGS];
const destroyArgs = (stack: string) => ['destroy', '--name', stack, '--yes', '--json'];

const fixture = withStack({ name: REFERENCE, args: UP_FLAGS, timing: FAST, plane: CREDENTIALS });
const cli = (args: string[], opts?: RunCliOptions) => fixture.cli(args, undefined, opts);
let reference: StackView;

beforeAll(async () => {
  reference = await readStack(fixture.moto, REFERENCE);
  expect(countKinds(reference)).toEqual(EXPECTED);
});

function ok(run: CliRun) {
  expect(run.code, `exit ${run.code}\n${run.stderr.slice(-3000)}`).toBe(0);
  return run.json();
}

/** The stack as moto has it is exactly what an uninterrupted `up` makes, and nothing more. */
async function expectLikeReference(stack: string): Promise<void> {
  const view = await readStack(fixture.moto, stack);
  expect(countKinds(view)).toEqual(EXPECTED);
  expect(view).toEqual(reference);
}

/** moto holds nothing tagged with the stack, or named as it, of any kind. */
async function expectNothingLeft(stack: string): Promise<void> {
  expect(describeAll(await readStack(fixture.moto, stack))).toEqual([]);
}

/** Runs the command with the call log cleared, so the calls returned are this run's only. */
async function withCalls(args: string[]): Promise<[CliRun, SimCall[]]> {
  fixture.sim.clearCalls();
  const run = await cli(args);
  return [run, fixture.sim.calls()];
}

const mutating = (calls: SimCall[]) => calls.filter((c) => c.mutating);
/** Calls the simulation failed in a way the SDK retries: throttled, 500/503, connection dropped. */
const faulted = (calls: SimCall[]) => calls.filter((c) => /^(throttle|server-error-|drop-)/.test(c.fault ?? ''));

/**
 * The CLI counts a retry for every attempt after the first of one SDK call (src/aws/stats.ts); each
 * faulted call was retried by the SDK, or the run would have failed. So the retries reported cover
 * at least the faults injected into that run.
 */
function expectRetriesCoverFaults(json: { aws: { retries: number } }, calls: SimCall[]): void {
  expect(json.aws.retries, `${faulted(calls).length} faulted calls in this run`).toBeGreaterThanOrEqual(faulted(calls).length);
}

describe('faults: 10% throttling and 5% server errors on every call', () => {
  afterAll(() => fixture.sim.setFaults(undefined));

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])('seed %i: up then destroy succeed, with no duplicates', async (seed) => {
    fixture.sim.setFaults({ seed, throttleRate: 0.1, serverErrorRate: 0.05 });
    const stack = `fault${seed}`;

    const [upRun, upCalls] = await withCalls(upArgs(stack));
    const up = ok(upRun);
    expect(up.aws.retries).toBeGreaterThan(0);
    expectRetriesCoverFaults(up, upCalls);
    await expectLikeReference(stack);

    const [downRun, downCalls] = await withCalls(destroyArgs(stack));
    const down = ok(downRun);
    expect(down.leftovers).toEqual([]);
    expectRetriesCoverFaults(down, downCalls);
    await expectNothingLeft(stack);

    // This seed's run met both kinds of fault, and a refused mutating call was retried.
    const calls = [...upCalls, ...downCalls];
    expect(calls.some((c) => c.fault === 'throttle')).toBe(true);
    expect(calls.some((c) => c.fault?.startsWith('server-error-'))).toBe(true);
    expect(calls.some((c) => c.fault && c.mutating)).toBe(true);
  });

  it('dropped connections (before and after AWS ran the call) are retried without duplicates', async () => {
    fixture.sim.setFaults({ seed: 42, dropRate: 0.2 });
    const [upRun, upCalls] = await withCalls(upArgs('drops'));
    const up = ok(upRun);
    expect(up.resources).toHaveLength(25);
    expectRetriesCoverFaults(up, upCalls);
    await expectLikeReference('drops');

    const [downRun, downCalls] = await withCalls(destroyArgs('drops'));
    const down = ok(downRun);
    expect(down.leftovers).toEqual([]);
    expectRetriesCoverFaults(down, downCalls);
    await expectNothingLeft('drops');

    // The hard case happened: a create or delete that AWS ran, whose reply was lost, was retried.
    // (Across ~60 mutating calls at 20% drops, half of them after the call ran, missing it is ~0.2%.)
    expect([...upCalls, ...downCalls].filter((c) => c.fault === 'drop-after' && c.mutating).length).toBeGreaterThan(0);
  });

  it('a task definition registered twice because its reply was lost is left once', async () => {
    // RegisterTaskDefinition takes no client token: the SDK's retry registers the same revision again.
    fixture.sim.setFaults({ seed: 5, scripted: { RegisterTaskDefinition: ['drop-after', 'drop-after'] } });
    const [upRun, upCalls] = await withCalls(upArgs('lostreply'));
    ok(upRun);
    const registers = upCalls.filter((c) => c.action === 'RegisterTaskDefinition');
    expect(registers.map((c) => c.fault ?? 'ok')).toEqual(['drop-after', 'drop-after', 'ok', 'ok']);
    await expectLikeReference('lostreply');

    // The same on a change (a new revision of the app): the older revision stays, the first new one is kept.
    fixture.sim.setFaults({ seed: 6, scripted: { RegisterTaskDefinition: ['drop-after'] } });
    ok(await cli([...upArgs('lostreply'), '--scrape-interval', '30s']));
    const revisions = await fixture.moto.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'lostreply-app', status: 'ACTIVE' }));
    expect(revisions.taskDefinitionArns?.map((arn) => arn.split(':').pop())).toEqual(['1', '2']);

    fixture.sim.setFaults(undefined);
    ok(await cli(destroyArgs('lostreply')));
    await expectNothingLeft('lostreply');
  });
});

/** Runs the command and SIGKILLs it as soon as the calls the simulation has seen satisfy `when`. */
async function runKilledWhen(args: string[], when: (calls: SimCall[]) => boolean): Promise<CliRun> {
  fixture.sim.clearCalls();
  let timer: NodeJS.Timeout | undefined;
  return cli(args, {
    onSpawn: (pid) => {
      timer = setInterval(() => {
        if (!when(fixture.sim.calls())) return;
        clearInterval(timer);
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }, 2);
    },
  }).finally(() => clearInterval(timer));
}

/**
 * SIGKILLs the command while AWS carries out its first `action` call: from its first `before` call
 * once it has started changing things, the simulation holds calls for a moment, and the CLI is
 * killed while `action` is held. AWS then runs it; the CLI never learns that it did, nor makes the
 * call that would have followed.
 */
async function runKilledWhileAwsRuns(args: string[], before: string, action: string): Promise<CliRun> {
  let holding = false;
  const holdAfter = calledWhileChanging(before);
  try {
    return await runKilledWhen(args, (calls) => {
      if (!holding && holdAfter(calls)) {
        fixture.sim.setFaults({ seed: 0, latencyMs: 500 });
        holding = true;
      }
      return holding && calls.some((c) => c.action === action);
    });
  } finally {
    fixture.sim.setFaults(undefined);
    // The held calls still reach AWS: let them land before anything looks.
    await eventually(async () => fixture.sim.calls().every((c) => c.status !== 0), 15_000, 'the held calls to be answered');
  }
}

/** `action` was called once the run had started changing things (not while it looked around first). */
const calledWhileChanging = (action: string) => (calls: SimCall[]) => {
  const first = calls.findIndex((c) => c.mutating);
  return first >= 0 && calls.slice(first).some((c) => c.action === action);
};

const afterMutatingCalls = (k: number) => (calls: SimCall[]) => mutating(calls).length >= k;

/** Both services created (CreateService is up's last mutating call) and their wait has begun. */
function waitingForServices(calls: SimCall[]): boolean {
  const created = calls.filter((c) => c.action === 'CreateService' && c.status === 200);
  if (created.length < 2) return false;
  const lastCreate = Math.max(...created.map((c) => c.at));
  return calls.filter((c) => c.action === 'DescribeServices' && c.at > lastCreate).length >= 2;
}

/** A resumed `up` converges to the reference, and a third one finds nothing to do. */
async function expectResumedUpConverges(stack: string) {
  const again = ok(await cli(upArgs(stack)));
  expect(again.resources).toHaveLength(25);
  await expectLikeReference(stack);
  const third = ok(await cli(upArgs(stack)));
  expect(third.resources.every((r: any) => r.action === 'unchanged')).toBe(true);
  return again;
}

async function expectDestroyLeavesNothing(stack: string): Promise<void> {
  const down = ok(await cli(destroyArgs(stack)));
  expect(down.leftovers).toEqual([]);
  await expectNothingLeft(stack);
}

describe('SIGKILL: killed at any point, the next up converges and destroy leaves nothing', () => {
  // Every 3rd mutating call up to the 31st: the fewest any `up` of this stack makes (it makes more
  // when ECS refuses CreateService while a new role warms up), so each point is reached.
  it.each([1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31])('up killed after %i mutating calls', async (k) => {
    const stack = `kill-up-${k}`;
    const killed = await runKilledWhen(upArgs(stack), afterMutatingCalls(k));
    expect(killed.signal).toBe('SIGKILL');
    await expectResumedUpConverges(stack);
    await expectDestroyLeavesNothing(stack);
  });

  it('up killed while it waits for the services, after its last mutating call', async () => {
    const stack = 'kill-up-wait';
    // Hold the services' start so the kill lands in the wait, then let them start.
    fixture.sim.setTiming({ serviceStartMs: 60_000 });
    let killed: CliRun;
    try {
      killed = await runKilledWhen(upArgs(stack), waitingForServices);
    } finally {
      fixture.sim.setTiming({ serviceStartMs: FAST.serviceStartMs });
    }
    expect(killed.signal).toBe('SIGKILL');
    const again = await expectResumedUpConverges(stack);
    // Everything was in place: the resumed run only waited.
    expect(again.aws.mutatingCalls).toBe(0);
    await expectDestroyLeavesNothing(stack);
  });

  // Every 5th mutating call up to the 26th: the fewest any `destroy` of this stack makes.
  it.each([1, 6, 11, 16, 21, 26])('destroy killed after %i mutating calls: the next destroy finishes', async (k) => {
    const stack = `kill-down-${k}`;
    ok(await cli(upArgs(stack)));
    const killed = await runKilledWhen(destroyArgs(stack), afterMutatingCalls(k));
    expect(killed.signal).toBe('SIGKILL');
    await expectDestroyLeavesNothing(stack);
  });

  it('destroy killed after AWS deregistered a task definition, before deleting it: the next destroy deletes it', async () => {
    const stack = 'kill-down-dereg';
    ok(await cli(upArgs(stack)));
    const killed = await runKilledWhileAwsRuns(destroyArgs(stack), 'DescribeTaskDefinition', 'DeregisterTaskDefinition');
    expect(killed.signal).toBe('SIGKILL');
    expect(fixture.sim.calls().some((c) => c.action === 'DeleteTaskDefinitions')).toBe(false);
    await expectDestroyLeavesNothing(stack);
  });
});

// Added latency while Ctrl-C is pressed: every call the CLI has made is then held in the simulation,
// so whatever mutating call arrives after the CLI acknowledged the interrupt was started after it.
const HOLD_MS = 2_000;
// Longer than any backoff or poll interval of the CLI at FARGATE_PROM_TIME_SCALE=0.01 (≤ 300 ms): by
// then every loop of the CLI is waiting on a held call, and nothing is on its way to AWS.
const QUIET_MS = 500;

interface InterruptedRun extends CliRun {
  calls: SimCall[];
  heldAt: number;
  signalAt: number;
  /** When the CLI printed that it was interrupted. */
  acknowledgedAt: number;
  exitAt: number;
}

/**
 * Runs the command (human output) and presses Ctrl-C once the calls seen satisfy `when`: first the
 * simulation starts holding calls; once the calls made before that have been answered and the CLI
 * is quiet (what follows them is held too), SIGINT. Steps whose calls are held are in flight: they
 * may finish, but what would follow them must not start. (Watches stderr as it arrives, to see the
 * moment the CLI prints that it was interrupted.)
 */
async function runInterruptedWhen(args: string[], when: (calls: SimCall[]) => boolean): Promise<InterruptedRun> {
  fixture.sim.clearCalls();
  let heldAt = 0;
  let answeredAt = 0;
  let signalAt = 0;
  let acknowledgedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    const run = await cli(args, {
      onStderr: (stderr) => {
        if (!acknowledgedAt && /interrupted: /.test(stderr)) {
          acknowledgedAt = Date.now();
          fixture.sim.setFaults(undefined);
        }
      },
      onSpawn: (pid) => {
        timer = setInterval(() => {
          const calls = fixture.sim.calls();
          if (!heldAt && when(calls)) {
            fixture.sim.setFaults({ seed: 0, latencyMs: HOLD_MS });
            heldAt = Date.now();
          }
          if (heldAt && !answeredAt && calls.every((c) => c.at >= heldAt || c.status !== 0)) answeredAt = Date.now();
          if (answeredAt && !signalAt && Date.now() - answeredAt >= QUIET_MS) {
            signalAt = Date.now();
            try { process.kill(pid, 'SIGINT'); } catch { /* already gone */ }
          }
        }, 2);
      },
    });
    return { ...run, calls: fixture.sim.calls(), heldAt, signalAt, acknowledgedAt, exitAt: Date.now() };
  } finally {
    clearInterval(timer);
    fixture.sim.setFaults(undefined);
  }
}

/** The resources named on the CLI's "done before it stopped:" and "not started:" lines, as `kind name`. */
function reportedProgress(stderr: string): { done: string[]; notStarted: string[] } {
  const list = (label: string) => (stderr.match(new RegExp(`^${label}: (.*)$`, 'm'))?.[1] ?? '').split(', ').filter(Boolean);
  return {
    done: list('done before it stopped').map((item) => item.replace(/^\w+ /, '')), // drop the action
    notStarted: list('not started'),
  };
}

/** What moto holds of the stack, as `kind name` in the CLI's words. */
async function presentResources(stack: string): Promise<string[]> {
  const v = await readStack(fixture.moto, stack);
  const named = (kind: string, items: object[]) => items.map((i) => `${kind} ${(i as { name: string }).name.replace(/<stack>/g, stack)}`);
  return [
    ...named('security-group', v.securityGroups),
    ...named('log-group', v.logGroups),
    ...named('amp-workspace', v.workspaces),
    ...named('secret', v.secrets),
    ...named('iam-role', v.roles),
    ...named('ecs-cluster', v.clusters),
    ...named('target-group', v.targetGroups),
    ...named('load-balancer', v.loadBalancers),
    ...(v.listeners.length ? ['listeners http/https'] : []),
    ...v.rules.map((r: any) => `listener-rule ${r.actions[0]?.type === 'fixed-response' ? 'metrics path → 404' : '/dashboard'}`),
    ...v.taskDefinitions.map((t) => `task-definition ${t.family.replace(/<stack>/g, stack)}`),
    ...named('ecs-service', v.services),
    ...named('efs-file-system', v.fileSystems),
    ...named('efs-access-point', v.accessPoints),
    ...(v.mountTargets.length ? ['efs-mount-targets one per availability zone'] : []),
  ];
}

/** Stopped cleanly on Ctrl-C: exit 130, soon, and no mutating call started after it. */
function expectStoppedOnCtrlC(run: InterruptedRun): void {
  expect(run.code, run.stderr.slice(-3000)).toBe(130);
  expect(run.acknowledgedAt, 'the CLI said it was interrupted').toBeGreaterThan(0);
  // Calls were in flight (held) when Ctrl-C came: they may finish; nothing new may start.
  expect(mutating(run.calls).some((c) => c.at >= run.heldAt && c.at <= run.signalAt)).toBe(true);
  const startedAfter = mutating(run.calls).filter((c) => c.at > run.acknowledgedAt).map((c) => `${c.service}:${c.action}`);
  expect(startedAfter, 'mutating calls started after Ctrl-C').toEqual([]);
  // A behaviour bound ("within a few seconds"), generous for a loaded machine: not a benchmark.
  expect(run.exitAt - run.signalAt).toBeLessThan(10_000);
}

/**
 * What the interrupted command says is true: it says it was interrupted, what it had done, what it had
 * not started, and to run it again; what it did (created for up, deleted for destroy) is so in moto,
 * and what it did not start is not.
 */
async function expectHonestInterruptReport(run: InterruptedRun, stack: string, command: 'up' | 'destroy'): Promise<void> {
  const action = command === 'up' ? 'create' : 'delete';
  expect(run.stderr).toMatch(/interrupted/);
  expect(run.stderr).toMatch(new RegExp(`^done before it stopped: ${action} `, 'm'));
  expect(run.stderr).toMatch(/^not started: /m);
  expect(run.stderr).toContain(`run \`fargate-prom ${command}\` again`);
  const { done, notStarted } = reportedProgress(run.stderr);
  const present = await presentResources(stack);
  expect(done.length).toBeGreaterThan(0);
  expect(notStarted.length).toBeGreaterThan(0);
  // up: what it did is there, what it did not start is not; destroy: what it deleted is gone, what it did not start is still there.
  const madeSo = command === 'up' ? (r: string) => present.includes(r) : (r: string) => !present.includes(r);
  expect(done.filter((r) => !madeSo(r)), command === 'up' ? 'reported done but missing' : 'reported deleted but there').toEqual([]);
  expect(notStarted.filter((r) => madeSo(r)), command === 'up' ? 'reported not started but there' : 'reported not started but gone').toEqual([]);
}

describe('Ctrl-C (SIGINT): stops cleanly, says what was done and what was not, exits 130', () => {
  it('up: then a new up converges and destroy leaves nothing', async () => {
    const stack = 'ctrlc-up';
    // At the first log group: the creates going out with it (log groups, security groups, target
    // groups) each have mutating calls to follow (retention, ingress rules, attributes).
    const run = await runInterruptedWhen(upArgs(stack).filter((a) => a !== '--json'), calledWhileChanging('CreateLogGroup'));
    expectStoppedOnCtrlC(run);
    await expectHonestInterruptReport(run, stack, 'up');

    await expectResumedUpConverges(stack);
    await expectDestroyLeavesNothing(stack);
  });

  it('destroy: then a new destroy leaves nothing', async () => {
    const stack = 'ctrlc-down';
    ok(await cli(upArgs(stack)));
    // At the roles' first lookup: each role still has its policies and itself to delete.
    const run = await runInterruptedWhen(destroyArgs(stack).filter((a) => a !== '--json'), calledWhileChanging('ListAttachedRolePolicies'));
    expectStoppedOnCtrlC(run);
    await expectHonestInterruptReport(run, stack, 'destroy');

    await expectDestroyLeavesNothing(stack);
  });
});

describe('isolation', () => {
  it('two stacks go up together and down together without touching each other or a third', async () => {
    const [a, b] = await Promise.all([cli(upArgs('twin-a')), cli(upArgs('twin-b'))]);
    ok(a);
    ok(b);
    // Each is whole and only itself: anything of the other in it would not match the reference.
    await expectLikeReference('twin-a');
    await expectLikeReference('twin-b');

    const [downA, downB, status] = await Promise.all([
      cli(destroyArgs('twin-a')),
      cli(destroyArgs('twin-b')),
      cli(['status', '--name', REFERENCE, '--amp-endpoint-url', fixture.plane.url, '--json']),
    ]);
    expect(ok(downA).leftovers).toEqual([]);
    expect(ok(downB).leftovers).toEqual([]);
    await expectNothingLeft('twin-a');
    await expectNothingLeft('twin-b');
    // The reference stack stayed healthy while both went (exit 3 only because no agent sends metrics here)…
    expect(status.json().resources.filter((r: any) => !r.healthy)).toEqual([]);
    expect(status.json().metrics.problems).toContain(`no samples of job ${REFERENCE} in the workspace`);
    // …and is exactly as it was.
    await expectLikeReference(REFERENCE);
  });
});
