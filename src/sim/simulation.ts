import { startMoto } from './moto-process.js';
import { MotoClientPool } from './moto-clients.js';
import { SimProxy, type SimCall } from './proxy.js';
import { allRules } from './rules/index.js';
import { SimState, type SimTiming } from './state.js';
import { FaultPlan, type FaultOptions } from './faults.js';

export type { SimTiming } from './state.js';
export type { FaultOptions } from './faults.js';
export type { SimCall } from './proxy.js';

export interface SimulationOptions {
  timing?: Partial<SimTiming>;
  faults?: FaultOptions;
  region?: string;
  /** Keep moto alive on SIGINT/SIGTERM: the owner stops it after its own cleanup (the sandbox). */
  survivesSignals?: boolean;
}

export interface Simulation {
  /** http://127.0.0.1:<proxy port>: what the CLI gets as --endpoint-url. */
  endpoint: string;
  /** http://127.0.0.1:<moto port>: raw moto, for assertions that must bypass the rules. */
  motoEndpoint: string;
  region: string;
  calls(): SimCall[];
  clearCalls(): void;
  setFaults(f: FaultOptions | undefined): void;
  setTiming(t: Partial<SimTiming>): void;
  /** Makes a service's tasks keep stopping; undefined heals it. */
  failTasks(serviceName: string, opts: { stoppedReason: string; exitCode: number; logLines?: string[] } | undefined): void;
  /**
   * Makes a service unable to launch any task (none starts, none stops): ECS reports it only as the
   * service event "(service <name>) <message>". undefined heals it: tasks launch from then on.
   */
  failLaunches(serviceName: string, message: string | undefined): void;
  /** Makes workspaces created with this alias end in CREATION_FAILED; false heals it. */
  failWorkspaces(alias: string, fail: boolean): void;
  /** Workspaces' prometheusEndpoint on this host (undefined: moto's aps-workspaces.<region>.amazonaws.com). */
  setAmpEndpointHost(host: string | undefined): void;
  /** Refuses every call signed with this session token as AWS refuses expired credentials; false makes it valid again. */
  expireSessionToken(sessionToken: string, expired: boolean): void;
  /** Kills moto (whole process group) and closes the proxy; idempotent. */
  stop(): Promise<void>;
}

/** Starts moto on a free loopback port and the rule-enforcing proxy in front of it. */
export async function startSimulation(opts: SimulationOptions = {}): Promise<Simulation> {
  const moto = await startMoto({ survivesSignals: opts.survivesSignals });
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
  return {
    endpoint,
    motoEndpoint: moto.endpoint,
    region: opts.region ?? 'us-east-1',
    calls: () => proxy.calls.map((call) => ({ ...call })),
    clearCalls: () => { proxy.calls.length = 0; },
    setFaults: (faults) => { proxy.faults = faults ? new FaultPlan(faults) : undefined; },
    setTiming: (timing) => state.setTiming(timing),
    failTasks: (serviceName, failure) => {
      if (failure) state.taskFailures.set(serviceName, { ...failure, since: state.now(), tasks: [] });
      else {
        const failure = state.taskFailures.get(serviceName);
        if (failure) failure.healedAt ??= state.now();
      }
      // The current deployment's running tasks stop (or, when healed, new ones start): none keeps its id.
      for (const record of state.services.values()) {
        if (record.name === serviceName) record.tasks = record.tasks.filter((t) => t.deploymentId !== record.rollout.deploymentId);
      }
    },
    failLaunches: (serviceName, message) => {
      if (message) state.launchFailures.set(serviceName, { message, since: state.now() });
      else {
        const failure = state.launchFailures.get(serviceName);
        if (failure) failure.healedAt ??= state.now();
      }
    },
    failWorkspaces: (alias, fail) => {
      if (fail) state.failingWorkspaceAliases.add(alias);
      else state.failingWorkspaceAliases.delete(alias);
    },
    setAmpEndpointHost: (host) => { state.ampEndpointHost = host; },
    expireSessionToken: (sessionToken, expired) => {
      if (expired) state.expiredSessionTokens.add(sessionToken);
      else state.expiredSessionTokens.delete(sessionToken);
    },
    stop: () => {
      stopping ??= (async () => {
        await proxy.close();
        clients.destroy();
        await moto.stop();
      })();
      return stopping;
    },
  };
}
