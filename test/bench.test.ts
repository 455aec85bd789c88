import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCollect } from '@fargate-prom/aws-sim/util/process';

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
    // fails here. Typical counts are in BENCHMARKS.md (up 145/38, up again 44/0, status 47, destroy 126/33);
    // the headroom covers polling, which depends on how long the simulated waits take on a loaded machine.
    expect(by.up.calls.mutating).toBeLessThanOrEqual(50);
    expect(by.up.calls.total).toBeLessThanOrEqual(220);
    expect(by['up-unchanged'].calls.total).toBeLessThanOrEqual(60);
    expect(by.status.calls.total).toBeLessThanOrEqual(60);
    expect(by.destroy.calls.mutating).toBeLessThanOrEqual(45);
    expect(by.destroy.calls.total).toBeLessThanOrEqual(200);

    // The figures are there to read, but no time is asserted.
    for (const c of report.commands) {
      expect(c.lowerBound.ms).toBeGreaterThan(0);
      expect(c.lowerBound.chain.length).toBeGreaterThan(0);
    }
    expect(report.coldStart.helpMs.runs).toBeGreaterThan(0);
  }, 180_000);

  it('exits non-zero with a message for a bad flag value', async () => {
    const run = await runBench(['--short', '--latency-ms', 'soon']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--latency-ms');
  });
});
