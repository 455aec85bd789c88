import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCollect } from '@fargate-prom/aws-sim/util/process';
import { DEFAULT_TIMING } from '@fargate-prom/aws-sim/testing';
import { lowerBound } from '../src/bench/model.js';
import { FIGURES, realAwsModel, schedule, type ModelNode, type RealRun } from '../src/bench/real-aws.js';
import { stackResources } from '../src/stack/resources.js';
import { makeSpec } from '../src/stack/spec.js';
import type { UpOptions } from '../src/config/options.js';

// The benchmark in its short mode, spawned as a user (or CI) runs it: one up / up / status / destroy
// cycle against the simulation. Only call counts are checked here; times are the benchmark's to
// report (BENCHMARKS.md), never a test's to assert.
const BENCH = resolve(import.meta.dirname, '../dist/bench/bench.js');

function runBench(args: string[]) {
  return spawnCollect(process.execPath, [BENCH, ...args], { timeoutMs: 170_000, killSignal: 'SIGTERM' });
}

describe('npm run bench -- --short', () => {
  it('runs one cycle and the call counts hold: unchanged up and status read only, destroy leaves nothing', async () => {
    const run = await runBench(['--short', '--json', '--latency-ms', '5']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.invariants.violations).toEqual([]);
    const by = Object.fromEntries(report.commands.map((c: any) => [c.command, c]));
    expect(Object.keys(by)).toEqual(['up', 'up-unchanged', 'status', 'destroy']);

    // The first up creates; the CLI's own count agrees with what the simulation saw.
    expect(by.up.calls.mutating).toBeGreaterThanOrEqual(20);
    expect(by.up.calls.cliReported).toBe(by.up.calls.total);
    // An unchanged up and status only read.
    expect(by['up-unchanged'].calls.mutating).toBe(0);
    expect(by['up-unchanged'].calls.cliReportedMutating).toBe(0);
    expect(by['up-unchanged'].calls.total).toBeGreaterThan(0);
    expect(by.status.calls.mutating).toBe(0);
    expect(report.targets.unchangedUpReadOnly).toBe(true);
    // destroy deletes (its sweep found nothing, or the invariants above would list it).
    expect(by.destroy.calls.mutating).toBeGreaterThanOrEqual(20);
    expect(by.destroy.calls.cliReported).toBe(by.destroy.calls.total);

    // Call budgets: a regression that multiplies calls (a lookup per poll, a lost concurrency that re-reads)
    // fails here. Typical counts are in BENCHMARKS.md (up 167/43, up again 52/0, status 54, destroy 152/49 with
    // EFS); the headroom covers polling, which depends on how long the simulated waits take on a loaded
    // machine (refused DeleteSecurityGroup calls, retried every 5 s, count as mutating).
    expect(by.up.calls.mutating).toBeLessThanOrEqual(50);
    expect(by.up.calls.total).toBeLessThanOrEqual(220);
    expect(by['up-unchanged'].calls.total).toBeLessThanOrEqual(60);
    expect(by.status.calls.total).toBeLessThanOrEqual(60);
    expect(by.destroy.calls.mutating).toBeLessThanOrEqual(60);
    expect(by.destroy.calls.total).toBeLessThanOrEqual(200);

    // The figures are there to read, but no time is asserted.
    for (const c of report.commands) {
      expect(c.lowerBound.ms).toBeGreaterThan(0);
      expect(c.lowerBound.chain.length).toBeGreaterThan(0);
    }
    expect(report.coldStart.helpMs.runs).toBeGreaterThan(0);
    // The real-AWS model is in the report, in the documented shape.
    for (const run of [report.realAws.up, report.realAws.destroy]) {
      expect(run.seconds).toBeGreaterThan(0);
      for (const p of run.criticalPath) expect(Object.keys(p).sort()).toEqual(['seconds', 'source', 'step']);
    }
    for (const peer of report.realAws.peers) expect(Object.keys(peer).sort()).toEqual(['name', 'source', 'upSeconds']);
  }, 180_000);

  it('exits non-zero with a message for a bad flag value', async () => {
    const run = await runBench(['--short', '--latency-ms', 'soon']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--latency-ms');
  });
});

// The real-AWS model (src/bench/real-aws.ts) is computed, not measured: its structure is tested here,
// against the real stack's graph and against small graphs whose critical path is known.
describe('real-AWS model', () => {
  const stack = () => stackResources(makeSpec('model', 'us-east-1'));
  // The same stack with --grafana-storage ephemeral: no EFS resources in the graph.
  const ephemeral = () => stackResources(makeSpec('model', 'us-east-1', { grafanaStorage: 'ephemeral' } as UpOptions));
  const named = (run: RealRun) => run.criticalPath.map((p) => p.step);
  const total = (run: RealRun) => run.criticalPath.reduce((a, p) => a + p.seconds, 0);

  it('replays the scheduler on a small graph: deps, created-only deps and timing rules set the path', () => {
    const step = (id: string, ...seconds: number[]) => seconds.map((s, i) => ({ step: `${id}#${i}`, seconds: s, source: 'test' }));
    const nodes: ModelNode[] = [
      { id: 'lb', deps: [], parts: step('lb', 1, 100) },
      { id: 'ws', deps: [], parts: step('ws', 1, 5) },
      { id: 'role', deps: ['ws'], createdOnly: ['ws'], parts: step('role', 1) },
      { id: 'svc', deps: ['lb', 'role'], parts: step('svc', 1, 30), notBefore: [{ other: 'role', from: 'end', step: 'propagation', seconds: 10, source: 'test' }] },
    ];
    const run = schedule(nodes);
    expect(run.seconds).toBe(132);
    expect(named(run)).toEqual(['lb#0', 'lb#1', 'svc#0', 'svc#1']);
    // The role needs the workspace only created: it starts after ws#0, not after ws#1.
    const slowRule = schedule(nodes.map((n) => (n.id === 'svc' ? { ...n, notBefore: [{ ...n.notBefore![0], seconds: 200 }] } : n)));
    expect(named(slowRule)).toEqual(['ws#0', 'role#0', 'propagation', 'svc#0', 'svc#1']);
    expect(slowRule.seconds).toBe(1 + 1 + 200 + 31);
    // Take the ALB out of the service's deps and the workspace chain is what is left.
    const noLb = schedule(nodes.map((n) => (n.id === 'svc' ? { ...n, deps: ['role'] } : n)));
    expect(named(noLb)).toEqual(['lb#0', 'lb#1']);
    expect(noLb.seconds).toBe(101);
  });

  it('models the real stack: every step cited, the path adds up, health checks read from the target groups', async () => {
    const model = await realAwsModel(stack().all);
    for (const run of [model.up, model.destroy]) {
      expect(run.criticalPath.length).toBeGreaterThan(2);
      for (const p of run.criticalPath) {
        expect(p.seconds).toBeGreaterThan(0);
        expect(p.source).toMatch(/^(https:\/\/|assumption: )/);
      }
      expect(Math.abs(total(run) - run.seconds)).toBeLessThan(0.5);
    }
    // The target groups' real create sends the health check the model uses.
    expect(Object.keys(model.targetGroups).sort()).toEqual(['tg:app', 'tg:grafana']);
    const hc = model.targetGroups['tg:grafana'];
    expect(model.up.criticalPath.some((p) => p.seconds === hc.intervalSeconds * hc.healthyThreshold && p.step.includes('healthy checks'))).toBe(true);
    expect(model.destroy.criticalPath.some((p) => p.step.includes(`deregistration delay (${hc.deregistrationDelaySeconds} s)`))).toBe(true);
    // Waits on the path belong to resources that exist in the graph.
    const keys = new Set(stack().all.map((r) => r.key));
    for (const p of [...model.up.criticalPath, ...model.destroy.criticalPath]) {
      const id = /^(?:create |delete )?([\w:-]+)[: ]/.exec(p.step)?.[1];
      if (id && /^(create|delete) /.test(p.step)) expect(keys.has(id), p.step).toBe(true);
    }
    // Services start while the ALB provisions, so Grafana's wait for its mount targets is what sets the path.
    expect(named(model.up)).toContain('efs:mount-targets: mount target available and its DNS name resolvable');
    expect(model.peers.length).toBeGreaterThanOrEqual(4);
    for (const peer of model.peers) expect(peer.source).toMatch(/^https:\/\//);
  });

  it('follows the graph: a dependency removed moves the critical path', async () => {
    const before = await realAwsModel(stack().all);
    expect(named(before.up).at(-2)).toMatch(/^service:grafana: \d+ healthy checks/);
    expect(named(before.up)).toContain('efs:mount-targets: mount target available and its DNS name resolvable');
    // Grafana's service no longer waiting for the mount targets: their wait leaves the path.
    const s = stack();
    s.grafanaService.dependsOn = s.grafanaService.dependsOn.filter((d) => d !== s.mountTargets);
    const after = await realAwsModel(s.all);
    expect(named(after.up).some((p) => p.startsWith('efs:mount-targets'))).toBe(false);
    expect(after.up.seconds).toBeLessThan(before.up.seconds);

    // Listeners that wait for the ALB to be active (the order before issue 14): the services' tasks start
    // only then, and the ALB's provisioning is on the path.
    const late = stack();
    late.listeners.needsCreated = undefined;
    const serial = await realAwsModel(late.all);
    expect(named(serial.up)).toContain('alb: provisioning → active');
    expect(serial.up.seconds).toBeGreaterThan(before.up.seconds);
  });

  it('includes EFS mount targets when the graph has them, overlapped with the ALB', async () => {
    const s = stack();
    expect((await realAwsModel(ephemeral().all)).efs).toBe(false);
    const withEfs = await realAwsModel(s.all);
    expect(withEfs.efs).toBe(true);
    // Faster mount targets leave the path to the ALB; slower ones set it.
    const fast = await realAwsModel(s.all, { ...FIGURES, efsMountTarget: { ...FIGURES.efsMountTarget, seconds: 10 } });
    expect(named(fast.up).some((p) => p.startsWith('efs:mount-targets'))).toBe(false);
    expect(fast.up.seconds).toBeLessThan(withEfs.up.seconds);
    const slow = await realAwsModel(s.all, { ...FIGURES, efsMountTarget: { ...FIGURES.efsMountTarget, seconds: 400 } });
    expect(named(slow.up)).toContain('efs:mount-targets: mount target available and its DNS name resolvable');
    expect(slow.up.seconds).toBeGreaterThan(withEfs.up.seconds);
    // The simulation's lower bound takes the mount targets' wait once the simulation times them.
    const bound = (efsMountTargetCreateMs: number) => lowerBound('up', s.all, 50, { ...DEFAULT_TIMING, efsMountTargetCreateMs });
    expect(bound(DEFAULT_TIMING.efsMountTargetCreateMs).chain.some((c) => c.includes('efs:mount-targets'))).toBe(false);
    expect(bound(60_000).chain.some((c) => c.startsWith('create efs:mount-targets 2×L + 60000 ms'))).toBe(true);
  });
});
