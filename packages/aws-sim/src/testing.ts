/**
 * `@fargate-prom/aws-sim/testing`: the simulation with the controls tests and the benchmark use to make
 * AWS misbehave (crash-looping tasks, failed workspaces, expired credentials, faults, timing). It is a
 * development entry: the package's `files` leave it out, so the published CLI does not carry it.
 */
import { FaultPlan, type FaultOptions } from './faults.js';
import type { SimCall } from './proxy.js';
import {
  startSimulationParts,
  type Simulation as SandboxSimulation,
  type SimulationOptions as SandboxSimulationOptions,
} from './simulation.js';
import type { SimTiming, ZoneType } from './state.js';
import { serveTaskMetadata, type TaskMetadataEndpoint, type TaskMetadataOptions } from './task-metadata.js';

export { DEFAULT_TIMING, type SimTiming, type ZoneType } from './state.js';
export type { FaultOptions } from './faults.js';
export type { SimCall } from './proxy.js';
export type { TaskMetadataEndpoint } from './task-metadata.js';

export interface SimulationOptions extends SandboxSimulationOptions {
  timing?: Partial<SimTiming>;
  faults?: FaultOptions;
}

export interface Simulation extends SandboxSimulation {
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
  /**
   * Makes CreateMountTarget answer UnsupportedAvailabilityZone for subnets in this AZ (an AZ id such as
   * 'use1-az2', or a subnet id for that one subnet), on top of the AZs AWS documents; false undoes it.
   */
  setEfsUnsupported(azIdOrSubnetId: string, unsupported: boolean): void;
  /**
   * Makes DescribeAvailabilityZones report this zone (a name such as 'us-east-1c') with this ZoneType, as AWS
   * reports a Local Zone or Wavelength Zone, and CreateMountTarget in its subnets answer
   * UnsupportedAvailabilityZone; 'availability-zone' undoes it.
   */
  setZoneType(zoneName: string, type: ZoneType): void;
}

/** Starts the simulation (as the sandbox's `startSimulation` does) with its test controls. */
export async function startSimulation(opts: SimulationOptions = {}): Promise<Simulation> {
  const { simulation, proxy, state } = await startSimulationParts(opts);
  return {
    ...simulation,
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
    setEfsUnsupported: (place, unsupported) => {
      if (unsupported) state.efsUnsupportedPlaces.add(place);
      else state.efsUnsupportedPlaces.delete(place);
    },
    setZoneType: (zoneName, type) => {
      if (type === 'availability-zone') state.zoneTypes.delete(zoneName);
      else state.zoneTypes.set(zoneName, type);
    },
  };
}

export interface TestTaskMetadataOptions extends TaskMetadataOptions {
  /**
   * A task still starting: answer the first N requests for `/task` with 503, or hang without
   * answering (`hang: true`), as a stuck endpoint would. Infinity: never ready.
   */
  notReadyFor?: number;
  hang?: boolean;
}

/** The task metadata endpoint (as the sandbox's), which can be made to answer late or never. */
export function startTaskMetadataEndpoint(opts: TestTaskMetadataOptions): Promise<TaskMetadataEndpoint> {
  const { notReadyFor = 0, hang = false, ...endpoint } = opts;
  return serveTaskMetadata(endpoint, (n) => (n > notReadyFor ? 'answer' : hang ? 'hang' : 'unavailable'));
}
