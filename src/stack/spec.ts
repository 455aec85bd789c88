import type { UpOptions } from '../config/options.js';
import { CliError } from '../errors.js';
import type { HostedZone } from './dns.js';

export const STACK_TAG_KEY = 'fargate-prom:stack';

export interface Network {
  vpcId: string;
  subnetIds: string[];
  /** Tasks get a public IP when their subnets route to an internet gateway rather than a NAT. */
  assignPublicIp: boolean;
}

/** Everything the resource modules need to know about the stack being built or inspected. */
export interface StackSpec {
  name: string;
  region: string;
  names: StackNames;
  /** Present for `up`; status and destroy only find and inspect. */
  options?: UpOptions;
  network?: Network;
  /** The domain HTTPS is served under, and the public Route 53 zone holding it when there is one. */
  dns?: { domain: string; zone?: HostedZone };
}

export type StackNames = ReturnType<typeof stackNames>;

/** Every resource name derives from the stack name, so a stack can always be found again. */
export function stackNames(stack: string) {
  return {
    albSecurityGroup: `${stack}-alb`,
    tasksSecurityGroup: `${stack}-tasks`,
    executionRole: `${stack}-execution`,
    appTaskRole: `${stack}-app-task`,
    grafanaTaskRole: `${stack}-grafana-task`,
    appLogGroup: `/fargate-prom/${stack}/app`,
    agentLogGroup: `/fargate-prom/${stack}/agent`,
    grafanaLogGroup: `/fargate-prom/${stack}/grafana`,
    workspaceAlias: stack,
    grafanaSecret: `fargate-prom/${stack}/grafana-admin`,
    cluster: stack,
    appFamily: `${stack}-app`,
    grafanaFamily: `${stack}-grafana`,
    appTargetGroup: `${stack}-app`,
    grafanaTargetGroup: `${stack}-grafana`,
    loadBalancer: `${stack}-alb`,
    appService: `${stack}-app`,
    grafanaService: `${stack}-grafana`,
    // EFS: the file system's CreationToken and Name tag, its access point's Name tag, the mount targets' group.
    grafanaFileSystem: `${stack}-grafana`,
    grafanaAccessPoint: `${stack}-grafana`,
    efsSecurityGroup: `${stack}-efs`,
  };
}

export function makeSpec(name: string, region: string, options?: UpOptions, network?: Network): StackSpec {
  return { name, region, names: stackNames(name), options, network };
}

/** The stack's tag in each of the shapes the AWS APIs take. */
export const tags = {
  keyValue: (spec: StackSpec) => [{ Key: STACK_TAG_KEY, Value: spec.name }],
  lowerKeyValue: (spec: StackSpec) => [{ key: STACK_TAG_KEY, value: spec.name }],
  map: (spec: StackSpec) => ({ [STACK_TAG_KEY]: spec.name }),
};

/** Whether a tag list or map carries this stack's tag. */
export function isOwned(spec: StackSpec, found: unknown): boolean {
  if (!found) return false;
  if (Array.isArray(found)) {
    return found.some((t) => (t.Key ?? t.key) === STACK_TAG_KEY && (t.Value ?? t.value) === spec.name);
  }
  return (found as Record<string, string>)[STACK_TAG_KEY] === spec.name;
}

export function requireOptions(spec: StackSpec): UpOptions {
  if (!spec.options) throw new Error('internal: desired state needs the up options');
  return spec.options;
}

/** `status` or `load` of a stack nothing is tagged with: exit 4. */
export function stackNotFound(spec: StackSpec): CliError {
  return new CliError(`no stack named ${spec.name} in ${spec.region} (nothing carries the tag ${STACK_TAG_KEY}=${spec.name})`, 'NOT_FOUND');
}
