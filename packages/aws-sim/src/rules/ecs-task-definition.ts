import { AwsError } from '../wire.js';

/**
 * Valid Fargate task memory (MiB) for each task cpu (units), https://docs.aws.amazon.com/AmazonECS/latest/userguide/task-cpu-memory-error.html.
 * Deliberately not shared
 * with src/config/aws-limits.ts: the stand-in must not inherit a mistake in the CLI's own table.
 */
const FARGATE_MEMORY_BY_CPU: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

const FARGATE_LOG_DRIVERS = ['awslogs', 'splunk', 'awsfirelens'];
const CPU_ARCHITECTURES = ['X86_64', 'ARM64'];

/** Container health check limits (seconds / count): https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_healthcheck */
const HEALTH_CHECK_LIMITS: Array<[field: string, min: number, max: number]> = [
  ['interval', 5, 300],
  ['timeout', 2, 60],
  ['retries', 1, 10],
  ['startPeriod', 0, 300],
];

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

function clientError(message: string): AwsError {
  return new AwsError('ClientException', message);
}

/** '256', '0.25 vCPU', '1 vCPU' → cpu units. */
export function parseCpu(value: string): number {
  const vcpu = /^\s*([\d.]+)\s*vcpu\s*$/i.exec(value);
  return vcpu ? Math.round(Number(vcpu[1]) * 1024) : Number(value);
}

/** '512', '1GB', '0.5 GB' → MiB. */
export function parseMemory(value: string): number {
  const gb = /^\s*([\d.]+)\s*gb\s*$/i.exec(value);
  return gb ? Math.round(Number(gb[1]) * 1024) : Number(value);
}

/** RegisterTaskDefinition rules AWS enforces and moto does not: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html */
export function validateTaskDefinition(input: Record<string, any>): void {
  const containers: any[] = input.containerDefinitions ?? [];
  const fargate = (input.requiresCompatibilities ?? []).includes('FARGATE');
  if (fargate) validateFargate(input, containers);
  const architecture = input.runtimePlatform?.cpuArchitecture;
  if (architecture !== undefined && !CPU_ARCHITECTURES.includes(architecture)) {
    throw clientError(
      `1 validation error detected: Value '${architecture}' at 'runtimePlatform.cpuArchitecture' failed to satisfy constraint: Member must satisfy enum value set: [${CPU_ARCHITECTURES.join(', ')}]`,
    );
  }
  if (containers.length > 0 && !containers.some((c) => c.essential !== false)) {
    throw clientError("Task definition doesn't have any essential container.");
  }
  for (const container of containers) validateContainer(container, input.networkMode);
  validateDependencies(containers);
  for (const volume of input.volumes ?? []) validateEfsVolume(volume);
}

/**
 * An EFS volume with IAM authorization or an access point needs transit encryption, and with an access point
 * its rootDirectory must be omitted or '/' (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_EFSAuthorizationConfig.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/efs-volumes.html). moto checks none of it.
 */
function validateEfsVolume(volume: Record<string, any>): void {
  const config = volume?.efsVolumeConfiguration;
  if (!config) return;
  const { iam, accessPointId } = config.authorizationConfig ?? {};
  const encrypted = config.transitEncryption === 'ENABLED';
  if (iam === 'ENABLED' && !encrypted) {
    throw clientError(`Volume ${volume.name}: transitEncryption must be ENABLED when authorizationConfig.iam is ENABLED.`);
  }
  if (accessPointId && !encrypted) {
    throw clientError(`Volume ${volume.name}: transitEncryption must be ENABLED when an access point is used.`);
  }
  if (accessPointId && config.rootDirectory !== undefined && config.rootDirectory !== '/') {
    throw clientError(`Volume ${volume.name}: rootDirectory must be omitted or '/' when an access point is used.`);
  }
}

/** dependsOn: COMPLETE/SUCCESS only on non-essential containers, HEALTHY needs a healthCheck
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_dependson). */
function validateDependencies(containers: any[]): void {
  const byName = new Map(containers.map((c) => [c.name, c]));
  for (const container of containers) {
    for (const dependency of container.dependsOn ?? []) {
      const target = byName.get(dependency.containerName);
      if (!target) continue;
      if ((dependency.condition === 'COMPLETE' || dependency.condition === 'SUCCESS') && target.essential !== false) {
        throw clientError('A dependency container with SUCCESS or COMPLETE condition cannot be an essential container');
      }
      if (dependency.condition === 'HEALTHY' && !target.healthCheck) {
        throw clientError(`Container ${target.name} must have a healthCheck to be used with the HEALTHY condition.`);
      }
    }
  }
}

function validateFargate(input: Record<string, any>, containers: any[]): void {
  if (input.cpu === undefined) throw clientError("Fargate requires that 'cpu' be defined at the task level.");
  if (input.memory === undefined) throw clientError("Fargate requires that 'memory' be defined at the task level.");
  const cpu = parseCpu(String(input.cpu));
  const memory = parseMemory(String(input.memory));
  const allowed = FARGATE_MEMORY_BY_CPU[cpu];
  if (!allowed) throw clientError("Invalid 'cpu' setting for task.");
  if (!allowed.includes(memory)) {
    throw clientError(
      `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`,
    );
  }
  if (input.networkMode !== 'awsvpc') throw clientError("Fargate only supports network mode 'awsvpc'.");
  for (const container of containers) {
    const driver = container.logConfiguration?.logDriver;
    if (driver !== undefined && !FARGATE_LOG_DRIVERS.includes(driver)) {
      throw clientError(`Log driver ${driver} is not supported on Fargate. Supported log drivers: ${FARGATE_LOG_DRIVERS.join(', ')}.`);
    }
  }
  if (!input.executionRoleArn) {
    if (containers.some((c) => c.logConfiguration?.logDriver === 'awslogs')) {
      throw clientError('Fargate requires task definition to have execution role ARN to support log driver awslogs.');
    }
    if (containers.some((c) => (c.secrets ?? []).length > 0)) {
      throw clientError("When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.");
    }
  }
}

/**
 * Container restart policy: `enabled` is required, `restartAttemptPeriod` is 60–1800 seconds and at
 * most 50 `ignoredExitCodes`. Essential and non-essential containers may both have one, on Fargate too.
 * moto keeps the policy in DescribeTaskDefinition but checks none of this.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerRestartPolicy.html
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-restart-policy.html
 */
function validateRestartPolicy(container: Record<string, any>): void {
  const policy = container.restartPolicy;
  if (policy === undefined || policy === null) return;
  if (typeof policy.enabled !== 'boolean') {
    throw clientError(`Invalid restartPolicy for container ${container.name}: 'enabled' is required.`);
  }
  const period = policy.restartAttemptPeriod;
  if (period !== undefined && (!Number.isInteger(period) || period < 60 || period > 1800)) {
    throw clientError(`Invalid restartPolicy for container ${container.name}: restartAttemptPeriod ${period} must be between 60 and 1800 seconds.`);
  }
  if ((policy.ignoredExitCodes ?? []).length > 50) {
    throw clientError(`Invalid restartPolicy for container ${container.name}: at most 50 ignoredExitCodes may be specified.`);
  }
}

function validateContainer(container: Record<string, any>, networkMode: string | undefined): void {
  validateRestartPolicy(container);
  if (networkMode === 'awsvpc') {
    for (const mapping of container.portMappings ?? []) {
      if (mapping.hostPort !== undefined && mapping.hostPort !== mapping.containerPort) {
        throw clientError('When networkMode=awsvpc, the host ports and container ports in port mappings must match.');
      }
    }
  }
  const healthCheck = container.healthCheck;
  if (!healthCheck) return;
  for (const [field, min, max] of HEALTH_CHECK_LIMITS) {
    const value = healthCheck[field];
    if (value !== undefined && (value < min || value > max)) {
      throw clientError(`Invalid healthCheck ${field} ${value} for container ${container.name}: must be between ${min} and ${max}.`);
    }
  }
}
