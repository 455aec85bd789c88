/** EC2's AvailabilityZone ZoneType (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AvailabilityZone.html). */
export type ZoneType = 'availability-zone' | 'local-zone' | 'wavelength-zone';

/** Milliseconds; small defaults so tests are quick. */
export interface SimTiming {
  /** After CreateService/UpdateService: tasks pending, then running = desired, rollout COMPLETED. */
  serviceStartMs: number;
  /** After tasks run: targets 'initial' then 'healthy'. */
  targetHealthyMs: number;
  /** ALB state 'provisioning' then 'active'. */
  albProvisionMs: number;
  /** AMP workspace CREATING then ACTIVE. */
  ampCreateMs: number;
  /** AMP workspace DELETING then gone. */
  ampDeleteMs: number;
  /** A new IAM role is not assumable by ECS for this long. */
  roleWarmupMs: number;
  /** A deleted ECS service is DRAINING for this long, then INACTIVE. */
  drainMs: number;
  /** An SG stays in use this long after the last ALB/service using it is gone. */
  eniLingerMs: number;
  /** A force-deleted secret is still being deleted (DescribeSecret shows it, CreateSecret of its name fails). */
  secretDeletionMs: number;
  /** IAM calls naming a role answer NoSuchEntity this long after its CreateRole (0: off). */
  iamPropagationMs: number;
  /** DescribeLogGroups leaves out a group this long after its CreateLogGroup (0: off). */
  logGroupListingMs: number;
  /** EFS file system LifeCycleState 'creating' then 'available'. */
  efsFileSystemCreateMs: number;
  /** EFS mount target 'creating' then 'available' (about a minute on AWS). Very large: stuck in creating. */
  efsMountTargetCreateMs: number;
  /** A deleted EFS mount target is 'deleting' this long, then gone; its ENI then lingers eniLingerMs more. */
  efsMountTargetDeleteMs: number;
  /** EFS access point 'creating' then 'available'. */
  efsAccessPointCreateMs: number;
}

export const DEFAULT_TIMING: SimTiming = {
  serviceStartMs: 1500,
  targetHealthyMs: 500,
  albProvisionMs: 800,
  ampCreateMs: 800,
  ampDeleteMs: 500,
  roleWarmupMs: 600,
  drainMs: 800,
  eniLingerMs: 1200,
  secretDeletionMs: 200,
  iamPropagationMs: 0,
  logGroupListingMs: 0,
  efsFileSystemCreateMs: 300,
  efsMountTargetCreateMs: 500,
  efsMountTargetDeleteMs: 400,
  efsAccessPointCreateMs: 200,
};

export interface ServiceTargetGroup {
  targetGroupArn: string;
  containerName: string;
  containerPort: number;
}

/** One rollout: CreateService, or an UpdateService that starts a new deployment or rescales. */
export interface Rollout {
  deploymentId: string;
  startedAt: number;
  /** A desiredCount-only update: no new deployment, the rollout state stays COMPLETED. */
  scaleOnly?: boolean;
  taskDefinition: string;
  /** The deployment being replaced (UpdateService with a new task definition or forceNewDeployment). */
  previous?: { taskDefinition: string; running: number; deploymentId: string };
  /** Tasks already running when a scale-only update started. */
  runningBefore: number;
}

export interface ServiceRecord {
  arn: string;
  name: string;
  clusterArn: string;
  desiredCount: number;
  rollout: Rollout;
  targetGroups: ServiceTargetGroup[];
  securityGroups: string[];
  /** Settings moto accepts but drops; shown again in every view of the service, as AWS does. */
  kept: Record<string, unknown>;
  deletedAt?: number;
  /** The RUNNING tasks last shown (ListTasks/DescribeTasks), so their ids stay the same from call to call. */
  tasks: RunningTask[];
}

export interface RunningTask {
  deploymentId: string;
  taskDefinition: string;
  taskArn: string;
  taskId: string;
  startedAt: number;
}

export interface StoppedTask {
  serviceArn: string;
  taskArn: string;
  taskId: string;
  startedAt: number;
  stoppedAt: number;
}

export interface TaskFailure {
  stoppedReason: string;
  exitCode: number;
  logLines?: string[];
  since: number;
  tasks: StoppedTask[];
  /** Healed: no new task stops, but the stopped ones stay listed, as ECS keeps them visible for a while. */
  healedAt?: number;
}

/** A force-deleted secret as DescribeSecret showed it before the delete (moto forgets it at once). */
export interface DeletingSecret {
  arn: string;
  name: string;
  deletedAt: number;
  /** DescribeSecret's reply body, with DeletedDate added. */
  description: Record<string, unknown>;
}

/**
 * A service that cannot launch tasks at all (no task is started, so none stops): ECS says so only in
 * the service's events, e.g. when it cannot assume a role or read a secret.
 */
export interface LaunchFailure {
  /** The event text after "(service <name>) ", e.g. "failed to launch a task with (error ...)." */
  message: string;
  since: number;
  /** Healed: tasks launch again from here on. */
  healedAt?: number;
}

export interface DeletedLoadBalancer {
  securityGroups: string[];
  deletedAt: number;
}

/** An EFS mount target as the simulation tracks it (moto forgets it at DeleteMountTarget). */
export interface EfsMountTarget {
  mountTargetId: string;
  fileSystemId: string;
  availabilityZoneId: string;
  securityGroups: string[];
  createdAt: number;
  deletedAt?: number;
  /** moto's description of it at creation (LifeCycleState is overwritten from the times above). */
  description: Record<string, unknown>;
}

type PhaseName = keyof SimTiming;

/** Everything the proxy remembers on top of moto: creation times, deletions in progress, failures. */
export class SimState {
  /** Timing in force from each moment on; setTiming appends, so phases already over stay over. */
  private epochs: Array<{ from: number; timing: SimTiming }>;
  readonly services = new Map<string, ServiceRecord>();
  readonly loadBalancerCreatedAt = new Map<string, number>();
  readonly deletedLoadBalancers: DeletedLoadBalancer[] = [];
  readonly workspaces = new Map<string, { createdAt: number; deletingAt?: number; fails?: boolean }>();
  /** Aliases whose next workspaces end in CREATION_FAILED instead of ACTIVE. */
  readonly failingWorkspaceAliases = new Set<string>();
  /** The host DescribeWorkspace puts in prometheusEndpoint instead of moto's (setAmpEndpointHost). */
  ampEndpointHost: string | undefined;
  /** Session tokens (temporary credentials) that have expired: every call signed with one is refused. */
  readonly expiredSessionTokens = new Set<string>();
  readonly roleCreatedAt = new Map<string, number>();
  /** Role name → when CreateRole answered (IAM API propagation window). */
  readonly roleNameCreatedAt = new Map<string, number>();
  /** Log group name → when CreateLogGroup answered (DescribeLogGroups listing delay). */
  readonly logGroupCreatedAt = new Map<string, number>();
  /** Secrets force-deleted and still being removed in the background, by ARN. */
  readonly deletingSecrets = new Map<string, DeletingSecret>();
  readonly taskFailures = new Map<string, TaskFailure>();
  /** Service name → why ECS cannot launch its tasks (see LaunchFailure). */
  readonly launchFailures = new Map<string, LaunchFailure>();
  /** Idempotency tokens (AMP clientToken, ECS clientToken) → what the first call created. */
  readonly clientTokens = new Map<string, string>();
  /** Regions whose default VPC has been given its internet gateway since the last reset. */
  readonly defaultVpcGateways = new Map<string, Promise<void>>();
  /** EFS file system id → when CreateFileSystem answered. */
  readonly efsFileSystemCreatedAt = new Map<string, number>();
  /** EFS access point id → when CreateAccessPoint answered. */
  readonly efsAccessPointCreatedAt = new Map<string, number>();
  /** EFS mount targets by id, deleted ones included until their ENI is released. */
  readonly efsMountTargets = new Map<string, EfsMountTarget>();
  /** AZ ids and subnet ids marked (setEfsUnsupported) as places EFS does not offer mount targets. */
  readonly efsUnsupportedPlaces = new Set<string>();
  /** Zone name → the type DescribeAvailabilityZones reports (setZoneType); unmarked zones are moto's: availability-zone. */
  readonly zoneTypes = new Map<string, Exclude<ZoneType, 'availability-zone'>>();

  constructor(timing: Partial<SimTiming> = {}) {
    this.epochs = [{ from: -Infinity, timing: { ...DEFAULT_TIMING, ...timing } }];
  }

  get timing(): SimTiming {
    return this.epochs[this.epochs.length - 1].timing;
  }

  /** New durations apply to phases still running and to future ones, never to phases already over. */
  setTiming(timing: Partial<SimTiming>): void {
    this.epochs.push({ from: this.now(), timing: { ...this.timing, ...timing } });
  }

  now(): number {
    return Date.now();
  }

  /**
   * When a phase of length `timing[phase]` that began at `start` ends: the first moment t at which
   * t ≥ start + the duration in force at t. Infinity if that has not happened under the timing so far
   * and the current duration never lets it.
   */
  phaseEnd(start: number, phase: PhaseName): number {
    for (let i = 0; i < this.epochs.length; i++) {
      const { from, timing } = this.epochs[i];
      const until = this.epochs[i + 1]?.from ?? Infinity;
      const end = Math.max(from, start + timing[phase]);
      // A phase that ended the very millisecond the timing changed was over before it: it stays over.
      if (end <= until) return end;
    }
    return Infinity;
  }

  isOver(start: number, phase: PhaseName): boolean {
    return this.phaseEnd(start, phase) <= this.now();
  }

  /** moto was reset: its resources are gone, and so is what we knew about them. */
  clear(): void {
    this.epochs = [{ from: -Infinity, timing: this.timing }];
    this.services.clear();
    this.loadBalancerCreatedAt.clear();
    this.deletedLoadBalancers.length = 0;
    this.workspaces.clear();
    this.roleCreatedAt.clear();
    this.roleNameCreatedAt.clear();
    this.logGroupCreatedAt.clear();
    this.deletingSecrets.clear();
    this.clientTokens.clear();
    this.defaultVpcGateways.clear();
    this.efsFileSystemCreatedAt.clear();
    this.efsAccessPointCreatedAt.clear();
    this.efsMountTargets.clear();
    for (const failure of this.taskFailures.values()) failure.tasks.length = 0;
  }

  /** An EFS mount target's LifeCycleState now, or undefined once it is gone. */
  efsMountTargetState(target: EfsMountTarget): 'creating' | 'available' | 'deleting' | undefined {
    if (target.deletedAt !== undefined) return this.isOver(target.deletedAt, 'efsMountTargetDeleteMs') ? undefined : 'deleting';
    return this.isOver(target.createdAt, 'efsMountTargetCreateMs') ? 'available' : 'creating';
  }

  /** The mount targets of this file system that still exist (creating, available or deleting). */
  efsMountTargetsOf(fileSystemId: string): EfsMountTarget[] {
    return [...this.efsMountTargets.values()].filter((t) => t.fileSystemId === fileSystemId && this.efsMountTargetState(t) !== undefined);
  }

  serviceStatus(service: ServiceRecord): 'ACTIVE' | 'DRAINING' | 'INACTIVE' {
    if (service.deletedAt === undefined) return 'ACTIVE';
    return this.isOver(service.deletedAt, 'drainMs') ? 'INACTIVE' : 'DRAINING';
  }

  /** Time at which the rollout's new tasks are RUNNING (or never, while its tasks keep failing). */
  rolloutSettlesAt(service: ServiceRecord): number {
    const failure = this.launchBlocker(service);
    if (failure) return failure.healedAt === undefined ? Infinity : this.phaseEnd(failure.healedAt, 'serviceStartMs');
    return this.phaseEnd(service.rollout.startedAt, 'serviceStartMs');
  }

  /**
   * The launch failure that holds this service's current rollout back: one that began before the
   * rollout's tasks would have started and was not healed before the rollout began.
   */
  launchBlocker(service: ServiceRecord): LaunchFailure | undefined {
    const failure = this.launchFailures.get(service.name);
    if (!failure) return undefined;
    const { startedAt } = service.rollout;
    const blocks = failure.since < this.phaseEnd(startedAt, 'serviceStartMs') && (failure.healedAt ?? Infinity) > startedAt;
    return blocks ? failure : undefined;
  }

  /** ACTIVE or DRAINING services, newest first, with this name in this cluster. */
  liveServiceNamed(clusterArn: string, name: string): ServiceRecord | undefined {
    return [...this.services.values()].find(
      (s) => s.clusterArn === clusterArn && s.name === name && this.serviceStatus(s) !== 'INACTIVE',
    );
  }

  /** Whether an ACTIVE or DRAINING service registers its tasks in this target group. */
  hasServiceOn(targetGroupArn: string): boolean {
    return [...this.services.values()].some(
      (s) => this.serviceStatus(s) !== 'INACTIVE' && s.targetGroups.some((g) => g.targetGroupArn === targetGroupArn),
    );
  }

  /** Why this security group cannot be deleted yet, or undefined if it can. */
  securityGroupBlocker(groupId: string): string | undefined {
    const now = this.now();
    for (const service of this.services.values()) {
      if (!service.securityGroups.includes(groupId)) continue;
      if (service.deletedAt === undefined) return `ECS service ${service.name}`;
      const drained = this.phaseEnd(service.deletedAt, 'drainMs');
      if (drained > now || !this.isOver(drained, 'eniLingerMs')) return `network interfaces of deleted ECS service ${service.name}`;
    }
    for (const target of this.efsMountTargets.values()) {
      if (!target.securityGroups.includes(groupId)) continue;
      if (target.deletedAt === undefined) return `EFS mount target ${target.mountTargetId}`;
      const gone = this.phaseEnd(target.deletedAt, 'efsMountTargetDeleteMs');
      if (gone > now || !this.isOver(gone, 'eniLingerMs')) return `network interface of deleted EFS mount target ${target.mountTargetId}`;
    }
    for (const lb of this.deletedLoadBalancers) {
      if (lb.securityGroups.includes(groupId) && !this.isOver(lb.deletedAt, 'eniLingerMs')) {
        return 'network interfaces of a deleted load balancer';
      }
    }
    return undefined;
  }
}
