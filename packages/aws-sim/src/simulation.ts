import { startMoto } from './moto-process.js';
import { MotoClientPool } from './moto-clients.js';
import { SimProxy } from './proxy.js';
import { allRules } from './rules/index.js';
import { SimState, type SimTiming } from './state.js';
import { FaultPlan, type FaultOptions } from './faults.js';

export interface SimulationOptions {
  region?: string;
  /** Keep moto alive on SIGINT/SIGTERM: the owner stops it after its own cleanup (the sandbox). */
  survivesSignals?: boolean;
  /** The moto_server binary to run (default: `moto_server` on PATH). */
  motoServer?: string;
}

/** What the sandbox needs: a local AWS to point the CLI at, and a way to stop it. */
export interface Simulation {
  /** http://127.0.0.1:<proxy port>: what the CLI gets as --endpoint-url. */
  endpoint: string;
  /** http://127.0.0.1:<moto port>: raw moto, for assertions that must bypass the rules. */
  motoEndpoint: string;
  region: string;
  /** Kills moto (whole process group) and closes the proxy; idempotent. */
  stop(): Promise<void>;
}

/** Starts moto on a free loopback port and the rule-enforcing proxy in front of it. */
export async function startSimulation(opts: SimulationOptions = {}): Promise<Simulation> {
  return (await startSimulationParts(opts)).simulation;
}

/**
 * The running simulation and its insides, for the test controls (`testing.ts`). Not exported from the
 * package's main entry: what ships offers no way to fail tasks or inject faults.
 */
export async function startSimulationParts(
  opts: SimulationOptions & { timing?: Partial<SimTiming>; faults?: FaultOptions },
): Promise<{ simulation: Simulation; proxy: SimProxy; state: SimState }> {
  const moto = await startMoto({ survivesSignals: opts.survivesSignals, motoServer: opts.motoServer });
  const state = new SimState(opts.timing);
  const clients = new MotoClientPool(moto.endpoint);
  const proxy = new SimProxy({ motoEndpoint: moto.endpoint, state, clients, rules: allRules });
  let endpoint: string;
  try {
    endpoint = await proxy.listen();
  } catch (err) {
    await moto.stop();
    throw err;
  }
  proxy.faults = opts.faults ? new FaultPlan(opts.faults) : undefined;
  let stopping: Promise<void> | undefined;
  const simulation: Simulation = {
    endpoint,
    motoEndpoint: moto.endpoint,
    region: opts.region ?? 'us-east-1',
    stop: () => {
      stopping ??= (async () => {
        await proxy.close();
        clients.destroy();
        await moto.stop();
      })();
      return stopping;
    },
  };
  return { simulation, proxy, state };
}
