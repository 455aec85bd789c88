/**
 * `npm run bench`: the real CLI against the local AWS simulation with a fixed added latency per AWS
 * call. For `up`, `up` again, `status` and `destroy` it prints the wall time, the AWS calls (total and
 * mutating) and the lower bound of the longest dependency chain (see model.ts), with the ratio; and
 * the CLI's cold start (`--help`, and `status` until its first AWS call).
 *
 *   node dist/bench/bench.js [--latency-ms 50] [--cycles 3] [--help-runs 15] [--first-call-runs 10]
 *                            [--time-scale 0.01] [--short] [--json]
 *
 * --short: one cycle, few repetitions, and the call-count invariants are checked (exit 1 when one is
 * violated): the first up creates every resource; an unchanged up and status make no mutating call;
 * destroy deletes everything, its sweep finds nothing, and status then finds no stack. No time is
 * ever asserted.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_TIMING, startSimulation, type SimCall, type Simulation, type SimTiming } from '@fargate-prom/aws-sim/testing';
import { stackResources } from '../stack/resources.js';
import { makeSpec } from '../stack/spec.js';
import { lowerBound, unmodelled, type BoundResult, type Command } from './model.js';
import { realAwsModel, type RealAwsModel } from './real-aws.js';
import { spawnCollect } from '@fargate-prom/aws-sim/util/process';

const BIN = resolve(import.meta.dirname, '../../bin/fargate-prom');
const IMAGE = 'public.ecr.aws/docker/library/node:20-alpine';
const REGION = 'us-east-1';

interface Options {
  latencyMs: number;
  cycles: number;
  helpRuns: number;
  firstCallRuns: number;
  timeScale: number;
  short: boolean;
  json: boolean;
  warmup: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      'latency-ms': { type: 'string' },
      cycles: { type: 'string' },
      'help-runs': { type: 'string' },
      'first-call-runs': { type: 'string' },
      'time-scale': { type: 'string' },
      short: { type: 'boolean', default: false },
      'no-warmup': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`usage: node dist/bench/bench.js [--latency-ms N] [--cycles N] [--help-runs N] [--first-call-runs N] [--time-scale X] [--short] [--json] [--no-warmup]
  env: FARGATE_PROM_BENCH_LATENCY_MS, FARGATE_PROM_BENCH_CYCLES, FARGATE_PROM_BENCH_SHORT=1\n`);
    process.exit(0);
  }
  const short = values.short || process.env.FARGATE_PROM_BENCH_SHORT === '1';
  const num = (flag: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) {
      process.stderr.write(`error: --${flag} must be a number ≥ ${min}, got ${raw}\n`);
      process.exit(2);
    }
    return n;
  };
  return {
    latencyMs: num('latency-ms', values['latency-ms'] ?? process.env.FARGATE_PROM_BENCH_LATENCY_MS, 50, 0),
    cycles: num('cycles', values.cycles ?? process.env.FARGATE_PROM_BENCH_CYCLES, short ? 1 : 3, 1),
    helpRuns: num('help-runs', values['help-runs'], short ? 3 : 21, 1),
    firstCallRuns: num('first-call-runs', values['first-call-runs'], short ? 2 : 11, 1),
    timeScale: num('time-scale', values['time-scale'], 0.01, 0.0001),
    short,
    json: values.json,
    // moto builds each service's backend (default VPC, IAM's managed policies…) on first use; one
    // unmeasured up + destroy keeps that out of the figures.
    warmup: !short && !values['no-warmup'],
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Spawn to the first AWS call the simulation saw; undefined when there was none. */
  firstCallMs?: number;
  calls: SimCall[];
}

const home = mkdtempSync(join(tmpdir(), 'fargate-prom-bench-home-'));

function env(timeScale: number): NodeJS.ProcessEnv {
  // As in test/support/cli.ts: dummy credentials, an empty HOME, shrunk waits, no TTY.
  return {
    PATH: process.env.PATH,
    HOME: home,
    CI: '1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    FARGATE_PROM_TIME_SCALE: String(timeScale),
  };
}

/** Runs the built CLI as a user would; the simulation's call log is cleared first. */
async function runCli(args: string[], opts: Options, sim?: Simulation): Promise<Run> {
  sim?.clearCalls();
  const startedAt = Date.now();
  const t0 = performance.now();
  const { code, stdout, stderr } = await spawnCollect(process.execPath, [BIN, ...args], { env: env(opts.timeScale), timeoutMs: 300_000 });
  const wallMs = performance.now() - t0;
  const calls = sim ? sim.calls().filter((c) => c.at >= startedAt) : [];
  const firstCallMs = calls.length ? Math.min(...calls.map((c) => c.at)) - startedAt : undefined;
  return { code, stdout, stderr, wallMs, firstCallMs, calls };
}

/** `--endpoint-url` and `--json` for a stack in the simulation, and an up of it with two app tasks. */
const connArgs = (sim: Simulation, stack: string) => ['--name', stack, '--endpoint-url', sim.endpoint, '--json'];
const upArgs = (sim: Simulation, stack: string) => ['up', ...connArgs(sim, stack), '--app-image', IMAGE, '--desired-count', '2', '--yes'];

function parseJson(run: Run, what: string): any {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(`${what}: stdout is not JSON (exit ${run.code})\n${run.stdout}\n${run.stderr}`);
  }
}

interface CommandResult {
  command: Command;
  wallMs: number;
  firstCallMs?: number;
  exitCode: number | null;
  simCalls: number;
  simMutating: number;
  /** What the CLI itself reports in --json `aws` (up and destroy only). */
  cliCalls?: number;
  cliMutating?: number;
  retries?: number;
  mutatingActions: string[];
  actions: Record<string, number>;
  boundMs: number;
  ratio: number;
  healthy?: boolean;
}

const violations: string[] = [];
function check(ok: boolean, message: string): void {
  if (!ok) violations.push(message);
}

function summarise(command: Command, run: Run, bound: BoundResult, cli?: { calls: number; mutatingCalls: number; retries: number }): CommandResult {
  const actions: Record<string, number> = {};
  for (const c of run.calls) actions[`${c.service}:${c.action}`] = (actions[`${c.service}:${c.action}`] ?? 0) + 1;
  return {
    command,
    wallMs: run.wallMs,
    firstCallMs: run.firstCallMs,
    exitCode: run.code,
    simCalls: run.calls.length,
    simMutating: run.calls.filter((c) => c.mutating).length,
    cliCalls: cli?.calls,
    cliMutating: cli?.mutatingCalls,
    retries: cli?.retries,
    mutatingActions: run.calls.filter((c) => c.mutating).map((c) => c.action),
    actions,
    boundMs: bound.ms,
    ratio: run.wallMs / bound.ms,
  };
}

/** One stack's life: up, up again, status, destroy, then status must find nothing. */
async function cycle(sim: Simulation, stack: string, opts: Options, bounds: Record<Command, BoundResult>): Promise<CommandResult[]> {
  const conn = connArgs(sim, stack);
  const out: CommandResult[] = [];

  const first = await runCli(upArgs(sim, stack), opts, sim);
  if (first.code !== 0) throw new Error(`up failed (exit ${first.code}):\n${first.stderr}`);
  const firstJson = parseJson(first, 'up');
  check(firstJson.resources.length > 0 && firstJson.resources.every((r: any) => r.action === 'create'), `${stack}: the first up did not create every resource`);
  out.push(summarise('up', first, bounds.up, firstJson.aws));

  const again = await runCli(upArgs(sim, stack), opts, sim);
  if (again.code !== 0) throw new Error(`up again failed (exit ${again.code}):\n${again.stderr}`);
  const againJson = parseJson(again, 'up again');
  const r2 = summarise('up-unchanged', again, bounds['up-unchanged'], againJson.aws);
  check(againJson.resources.every((r: any) => r.action === 'unchanged'), `${stack}: the unchanged up planned changes: ${againJson.resources.filter((r: any) => r.action !== 'unchanged').map((r: any) => `${r.action} ${r.name}`).join(', ')}`);
  check(r2.simMutating === 0, `${stack}: the unchanged up made ${r2.simMutating} mutating call(s): ${r2.mutatingActions.join(', ')}`);
  check(r2.cliMutating === 0, `${stack}: the unchanged up reports ${r2.cliMutating} mutating call(s) in --json aws.mutatingCalls`);
  out.push(r2);

  const status = await runCli(['status', ...conn], opts, sim);
  const statusJson = parseJson(status, 'status');
  // Health is reported, not asserted: the benchmark is about calls and time.
  check(status.code === 0 || status.code === 3, `${stack}: status exited ${status.code}: ${status.stderr}`);
  const r3 = { ...summarise('status', status, bounds.status), healthy: statusJson.healthy === true };
  check(r3.simMutating === 0, `${stack}: status made ${r3.simMutating} mutating call(s): ${r3.mutatingActions.join(', ')}`);
  out.push(r3);

  const destroy = await runCli(['destroy', ...conn, '--yes'], opts, sim);
  if (destroy.code !== 0) throw new Error(`destroy failed (exit ${destroy.code}):\n${destroy.stderr}`);
  const destroyJson = parseJson(destroy, 'destroy');
  check(destroyJson.resources.every((r: any) => r.action === 'delete'), `${stack}: destroy did not delete every resource`);
  check(Array.isArray(destroyJson.leftovers) && destroyJson.leftovers.length === 0, `${stack}: destroy left ${JSON.stringify(destroyJson.leftovers)}`);
  out.push(summarise('destroy', destroy, bounds.destroy, destroyJson.aws));

  const after = await runCli(['status', ...conn], opts, sim);
  check(after.code === 4, `${stack}: status after destroy exited ${after.code}, not 4 (no such stack)`);
  check(after.calls.every((c) => !c.mutating), `${stack}: status after destroy made mutating calls`);
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const timing: SimTiming = { ...DEFAULT_TIMING };
  const resources = stackResources(makeSpec('bench', REGION)).all;
  const commands: Command[] = ['up', 'up-unchanged', 'status', 'destroy'];
  const bounds = Object.fromEntries(commands.map((c) => [c, lowerBound(c, resources, opts.latencyMs, timing)])) as Record<Command, BoundResult>;
  const missing = unmodelled(resources);
  if (missing.length) log(`warning: no call figures for ${missing.join(', ')}; the model counts one call each`);
  // The same graph on real AWS, with public figures for its waits (real-aws.ts): computed, not measured.
  const real = await realAwsModel(resources);

  // Cold start first, before the simulation exists: nothing else runs on the machine.
  log(`cold start: fargate-prom --help × ${opts.helpRuns}`);
  const helpTimes: number[] = [];
  for (let i = 0; i < opts.helpRuns; i++) {
    const run = await runCli(['--help'], opts);
    if (run.code !== 0) throw new Error(`--help exited ${run.code}: ${run.stderr}`);
    helpTimes.push(run.wallMs);
  }

  log(`starting the simulation (added latency ${opts.latencyMs} ms per AWS call)`);
  const sim = await startSimulation({ region: REGION, timing, faults: { seed: 1, latencyMs: opts.latencyMs } });
  const results: CommandResult[][] = [];
  const firstCall: { firstCallMs: number; wallMs: number }[] = [];
  let error: unknown;
  try {
    if (opts.warmup) {
      log('warm-up (not measured): up and destroy of stack warmup');
      const up = await runCli(upArgs(sim, 'warmup'), opts, sim);
      if (up.code !== 0) throw new Error(`warm-up up failed (exit ${up.code}):\n${up.stderr}`);
      const down = await runCli(['destroy', ...connArgs(sim, 'warmup'), '--yes'], opts, sim);
      if (down.code !== 0) throw new Error(`warm-up destroy failed (exit ${down.code}):\n${down.stderr}`);
    }
    for (let i = 1; i <= opts.cycles; i++) {
      const stack = `bench${i}`;
      log(`cycle ${i}/${opts.cycles}: up, up again, status, destroy (stack ${stack})`);
      const r = await cycle(sim, stack, opts, bounds);
      results.push(r);
      for (const c of r) log(`  ${c.command.padEnd(12)} ${String(round(c.wallMs)).padStart(7)} ms  ${c.simCalls} calls, ${c.simMutating} mutating  (bound ${round(c.boundMs)} ms, ×${c.ratio.toFixed(2)})`);
    }
    // status against a stack that does not exist: spawn → first AWS call, without the stack's size in it.
    log(`cold start: status until its first AWS call × ${opts.firstCallRuns}`);
    for (let i = 0; i < opts.firstCallRuns; i++) {
      const run = await runCli(['status', '--name', 'bench-none', '--endpoint-url', sim.endpoint, '--json'], opts, sim);
      if (run.firstCallMs === undefined) throw new Error(`status made no AWS call (exit ${run.code}): ${run.stderr}`);
      firstCall.push({ firstCallMs: run.firstCallMs, wallMs: run.wallMs });
    }
  } catch (err) {
    error = err;
  } finally {
    await sim.stop();
    rmSync(home, { recursive: true, force: true });
  }
  if (error) throw error;

  const byCommand = commands.map((command) => {
    const runs = results.map((r) => r.find((x) => x.command === command)!);
    const wall = median(runs.map((r) => r.wallMs));
    const first = runs[0];
    return {
      command,
      runs: runs.length,
      wallMs: { median: round(wall), min: round(Math.min(...runs.map((r) => r.wallMs))), max: round(Math.max(...runs.map((r) => r.wallMs))) },
      startupMs: round(median(runs.map((r) => r.firstCallMs ?? 0))),
      calls: { total: first.simCalls, mutating: first.simMutating, cliReported: first.cliCalls, cliReportedMutating: first.cliMutating, retries: first.retries },
      callsStable: runs.every((r) => r.simCalls === first.simCalls && r.simMutating === first.simMutating),
      byAction: first.actions,
      lowerBound: { ms: round(bounds[command].ms), sequentialCalls: bounds[command].calls, simulatedWaitMs: bounds[command].waitMs, chain: bounds[command].chain },
      ratio: Number((wall / bounds[command].ms).toFixed(2)),
      ...(command === 'status' ? { healthy: runs.every((r) => r.healthy) } : {}),
      ratioAfterStartup: Number(((wall - median(runs.map((r) => r.firstCallMs ?? 0))) / bounds[command].ms).toFixed(2)),
    };
  });
  const helpMedian = median(helpTimes);
  const report = {
    date: new Date().toISOString(),
    machine: machine(),
    settings: { latencyMs: opts.latencyMs, timeScale: opts.timeScale, cycles: opts.cycles, warmup: opts.warmup, helpRuns: opts.helpRuns, firstCallRuns: opts.firstCallRuns, short: opts.short, simTiming: timing },
    commands: byCommand,
    coldStart: {
      helpMs: { median: round(helpMedian), min: round(Math.min(...helpTimes)), max: round(Math.max(...helpTimes)), runs: helpTimes.length },
      statusFirstCallMs: { median: round(median(firstCall.map((f) => f.firstCallMs))), min: round(Math.min(...firstCall.map((f) => f.firstCallMs))), max: round(Math.max(...firstCall.map((f) => f.firstCallMs))), runs: firstCall.length },
    },
    targets: {
      upWithin1_3xBound: byCommand[0].ratio <= 1.3,
      unchangedUpReadOnly: results.every((r) => r.find((x) => x.command === 'up-unchanged')!.simMutating === 0),
      helpUnder150msMedian: helpMedian < 150,
    },
    invariants: { checked: true, violations },
    realAws: { up: real.up, destroy: real.destroy, peers: real.peers, healthChecks: real.targetGroups, efsInGraph: real.efs },
  };

  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(renderTable(report));
  if (violations.length) {
    for (const v of violations) log(`invariant violated: ${v}`);
    process.exitCode = 1;
  }
}

const round = (n: number) => Math.round(n);

function machine() {
  const cpu = cpus();
  let os = '';
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch { /* not Linux */ }
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    os,
    cpus: `${cpu.length} × ${cpu[0]?.model ?? '?'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    // Other work on the machine skews the times; the 1-minute load average when the run ended.
    loadAverage1m: Number(loadavg()[0].toFixed(2)),
  };
}

function renderTable(report: any): string {
  const rows: string[][] = [['command', 'wall ms (median)', 'start→1st call', 'AWS calls', 'mutating', 'CLI-reported', 'lower bound ms', 'ratio', 'ratio w/o start']];
  for (const c of report.commands) {
    rows.push([
      c.command,
      `${c.wallMs.median}${c.runs > 1 ? ` (${c.wallMs.min}–${c.wallMs.max})` : ''}`,
      String(c.startupMs),
      String(c.calls.total),
      String(c.calls.mutating),
      c.calls.cliReported === undefined ? '-' : `${c.calls.cliReported} / ${c.calls.cliReportedMutating}`,
      String(c.lowerBound.ms),
      `${c.ratio.toFixed(2)}×`,
      `${c.ratioAfterStartup.toFixed(2)}×`,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const s = report.settings;
  const cs = report.coldStart;
  const t = report.targets;
  return [
    `fargate-prom benchmark — ${report.date}`,
    `machine: ${report.machine.cpus}, ${report.machine.memoryGiB} GiB, ${report.machine.os}, node ${report.machine.node}, load average ${report.machine.loadAverage1m} at the end`,
    `settings: ${s.latencyMs} ms added per AWS call, FARGATE_PROM_TIME_SCALE=${s.timeScale}, ${s.cycles} cycle(s)${s.short ? ' (short)' : ''}`,
    '',
    line(rows[0]),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.slice(1).map(line),
    '',
    'Longest dependency chain per command (L = one AWS call):',
    ...report.commands.map((c: any) => `  ${c.command}: ${c.lowerBound.sequentialCalls}×L + ${c.lowerBound.simulatedWaitMs} ms = ${c.lowerBound.ms} ms\n    ${c.lowerBound.chain.join(' → ')}`),
    '',
    `cold start: --help median ${cs.helpMs.median} ms (${cs.helpMs.min}–${cs.helpMs.max}, ${cs.helpMs.runs} runs); status spawn → first AWS call median ${cs.statusFirstCallMs.median} ms (${cs.statusFirstCallMs.min}–${cs.statusFirstCallMs.max}, ${cs.statusFirstCallMs.runs} runs)`,
    '',
    'targets:',
    `  up within 1.3× its lower bound:   ${t.upWithin1_3xBound ? 'met' : 'NOT met'} (${report.commands[0].ratio}×)`,
    `  unchanged up makes reads only:    ${t.unchangedUpReadOnly ? 'met' : 'NOT met'}`,
    `  --help under 150 ms median:       ${t.helpUnder150msMedian ? 'met' : 'NOT met'} (${cs.helpMs.median} ms)`,
    `invariants (call counts): ${report.invariants.violations.length ? `VIOLATED: ${report.invariants.violations.join('; ')}` : 'all hold'}`,
    '',
    ...renderRealAws(report.realAws),
  ].join('\n');
}

/** The real-AWS model: modelled up and destroy beside the peers' published times, and the critical paths. */
function renderRealAws(real: Pick<RealAwsModel, 'up' | 'destroy' | 'peers'>): string[] {
  const minutes = (s: number) => `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  const path = (name: string, run: RealAwsModel['up']) => [
    `  ${name}: ${run.seconds} s (${minutes(run.seconds)})`,
    ...run.criticalPath.map((p) => `    ${String(p.seconds).padStart(6)} s  ${p.step}`),
  ];
  return [
    'Modelled on real AWS (this CLI\'s dependency graph, public figures for every wait; not measured):',
    ...path('up', real.up),
    ...path('destroy', real.destroy),
    'Peers (published first-deploy times):',
    ...real.peers.map((p) => `  ${minutes(p.upSeconds).padStart(6)}  ${p.name}`),
    '',
  ];
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error)?.message ?? err}\n`);
  if (process.env.FARGATE_PROM_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
  process.exitCode = 1;
});
