import { createHash } from 'node:crypto';
import type { ServiceRecord, SimState } from '../state.js';
import { taskCounts } from './ecs-service-view.js';

export interface SimTarget {
  ip: string;
  port: number;
  state: 'initial' | 'healthy' | 'draining';
  reason?: string;
  description?: string;
}

/** A stable private IP inside the VPC CIDR for the n-th task of a deployment. */
function taskIp(cidr: string, seed: string, index: number): string {
  const [address, prefixText] = cidr.split('/');
  const base = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const hosts = 2 ** (32 - Number(prefixText ?? 16));
  const usable = Math.max(hosts - 32, 1);
  const start = createHash('sha256').update(seed).digest().readUInt32BE(0) % usable;
  const ip = base + 16 + ((start + index) % usable);
  return [24, 16, 8, 0].map((shift) => Math.floor(ip / 2 ** shift) % 256).join('.');
}

/**
 * When the load balancers that forward to a target group are all active: until then a registered target
 * stays `initial` (Elb.RegistrationInProgress), as health checks start once the load balancer is set up
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
 * The load balancer provisions while ECS starts the tasks, so the later of the two starts the checks.
 */
export function loadBalancersActiveAt(state: SimState, loadBalancerArns: string[]): number {
  return Math.max(-Infinity, ...loadBalancerArns.map((arn) => {
    const createdAt = state.loadBalancerCreatedAt.get(arn);
    return createdAt === undefined ? -Infinity : state.phaseEnd(createdAt, 'albProvisionMs');
  }));
}

function serviceTargets(state: SimState, record: ServiceRecord, port: number, cidr: string, checksFrom: number): SimTarget[] {
  const { rollout } = record;
  if (state.serviceStatus(record) === 'DRAINING') {
    return Array.from({ length: record.desiredCount }, (_, i) => ({
      ip: taskIp(cidr, rollout.deploymentId, i), port, state: 'draining' as const,
      reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress',
    }));
  }
  const counts = taskCounts(record, state);
  const healthyAt = state.phaseEnd(Math.max(state.rolloutSettlesAt(record), checksFrom), 'targetHealthyMs');
  const targets: SimTarget[] = [];
  for (let i = 0; i < counts.primaryRunning; i++) {
    // Tasks that were already running before a scale-only update stay healthy.
    const carriedOver = !rollout.previous && i < rollout.runningBefore;
    const healthy = carriedOver || state.now() >= healthyAt;
    targets.push(healthy
      ? { ip: taskIp(cidr, rollout.deploymentId, i), port, state: 'healthy' }
      : { ip: taskIp(cidr, rollout.deploymentId, i), port, state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress' });
  }
  for (let i = 0; i < counts.previousRunning; i++) {
    targets.push({ ip: taskIp(cidr, rollout.previous!.deploymentId, i), port, state: 'healthy' });
  }
  return targets;
}

/** The targets ECS would have registered in this target group for the services that use it. */
export function targetTasks(state: SimState, targetGroupArn: string, cidr: string, loadBalancerArns: string[] = []): SimTarget[] {
  const checksFrom = loadBalancersActiveAt(state, loadBalancerArns);
  const targets: SimTarget[] = [];
  for (const record of state.services.values()) {
    if (state.serviceStatus(record) === 'INACTIVE') continue;
    for (const group of record.targetGroups) {
      if (group.targetGroupArn === targetGroupArn) targets.push(...serviceTargets(state, record, group.containerPort, cidr, checksFrom));
    }
  }
  return targets;
}
