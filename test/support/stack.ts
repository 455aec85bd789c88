import { afterAll, beforeAll, expect } from 'vitest';
import { startAmpDataPlane, type AmpDataPlane, type DataPlaneCredentials } from '@fargate-prom/aws-sim';
import { startSimulation, type Simulation, type SimTiming } from '@fargate-prom/aws-sim/testing';
import { runCli, simEnv, type CliRun, type RunCliOptions } from './cli.js';
import { REGION, simClients, type SimClients } from './sim-fixtures.js';

// The one fixture of a test file that drives the built CLI against the simulation: start the simulation
// (and an AMP data plane if asked), optionally `up` a stack once, and stop it all after the file (or
// the describe it is called in). Tests of the simulation itself use it too, for the simulation alone.

export interface StackOptions {
  /** The stack `up` creates before the tests; without it no `up` runs (the tests run their own). */
  name?: string;
  /** Arguments of that `up` after `--name <name>` (`--endpoint-url` is added); a function runs in beforeAll. */
  args?: string[] | (() => string[] | Promise<string[]>);
  /** The simulation's timing knobs (packages/aws-sim/src/state.ts), from the start. */
  timing?: Partial<SimTiming>;
  /** Also start a local AMP data plane that accepts these credentials (status reads metrics from it). */
  plane?: DataPlaneCredentials | DataPlaneCredentials[];
}

export interface Stack {
  sim: Simulation;
  /** The data plane; only with `plane`. */
  plane: AmpDataPlane;
  /** Clients through the simulation, as the CLI sees AWS. */
  aws: SimClients;
  /** Clients straight to moto, past the simulation's rules: what is really there. */
  moto: SimClients;
  /** The `up` of `name` (exit 0 checked), when there was one. */
  up: CliRun | undefined;
  /** Runs the built CLI with `--endpoint-url <the simulation>` appended. */
  cli(args: string[], env?: NodeJS.ProcessEnv, opts?: RunCliOptions): Promise<CliRun>;
  stop(): Promise<void>;
}

const SETUP_TIMEOUT_MS = 180_000;

function cliAgainst(endpoint: () => string): Stack['cli'] {
  return (args, env = simEnv(), opts) => runCli([...args, '--endpoint-url', endpoint()], env, opts);
}

/**
 * Starts the simulation (and data plane), then `up`s the stack if `name` is given. `started` sees the
 * stack before that `up`, so a caller can still stop it if the `up` never returns.
 */
export async function startStack(opts: StackOptions = {}, started: (stack: Stack) => void = () => undefined): Promise<Stack> {
  const [sim, plane] = await Promise.all([
    startSimulation({ timing: opts.timing }),
    opts.plane ? startAmpDataPlane({ region: REGION, credentials: opts.plane }) : undefined,
  ]);
  const stack: Stack = {
    sim,
    plane: plane!,
    aws: simClients(sim.endpoint),
    moto: simClients(sim.motoEndpoint),
    up: undefined,
    cli: cliAgainst(() => sim.endpoint),
    stop: async () => {
      await Promise.all([sim.stop(), plane?.stop()]);
    },
  };
  started(stack);
  if (opts.name !== undefined) {
    try {
      const args = typeof opts.args === 'function' ? await opts.args() : (opts.args ?? []);
      stack.up = await stack.cli(['up', '--name', opts.name, ...args]);
      expect(stack.up.code, `up ${opts.name}: exit ${stack.up.code}\n${stack.up.stderr.slice(-3000)}`).toBe(0);
    } catch (err) {
      await stack.stop();
      throw err;
    }
  }
  return stack;
}

/**
 * startStack in the enclosing suite's beforeAll, stopped in its afterAll. The returned object is filled
 * in when beforeAll has run: read its fields inside hooks and tests, not at the top of the file (only
 * `cli` may be taken there: `const { cli } = stack`).
 */
export function withStack(opts: StackOptions = {}): Stack {
  const handle = { cli: cliAgainst(() => handle.sim.endpoint) } as Stack;
  // Longer than vitest's hook timeout: starting moto and a whole `up` on a busy machine can take minutes.
  beforeAll(async () => {
    Object.assign(handle, await startStack(opts, (stack) => Object.assign(handle, stack)));
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await handle.stop?.();
  });
  return handle;
}
