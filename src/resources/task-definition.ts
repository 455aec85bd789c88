import type { ContainerDefinition, RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { hasErrorName } from '../aws/errors.js';
import { AMP_PLUGIN } from '../config/defaults.js';
import { resource, type Context, type Resource } from './context.js';
import { isOwned, requireOptions, tags } from '../stack/spec.js';
import { agentContainerDefinition, remoteWriteUrl } from '../templates/agent.js';
import { observed, onceCreated } from './common.js';
import type { WorkspaceState } from './amp-workspace.js';
import type { LoadBalancerState } from './load-balancer.js';
import type { LogGroupState } from './log-group.js';
import type { RoleState } from './iam-role.js';
import type { SecretState } from './secret.js';
import type { FileSystemState } from './efs-file-system.js';
import type { AccessPointState } from './efs-access-point.js';
import { workspaceEndpoint } from '../stack/endpoints.js';
import { sdk } from '../aws/sdk.js';

const { DeleteTaskDefinitionsCommand, DeregisterTaskDefinitionCommand, DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand } = sdk.ecs();

export interface TaskDefinitionState {
  family: string;
  arn: string;
  revision: number;
  /** The fields this stack sets, normalised, to compare with what the options ask for. */
  fingerprint: Fingerprint;
}

type Desired = Omit<RegisterTaskDefinitionCommandInput, 'tags'>;
type Fingerprint = Record<string, unknown>;

export const APP_CONTAINER = 'app';
export const GRAFANA_CONTAINER = 'grafana';

function awslogs(ctx: Context, group: string, prefix: string): ContainerDefinition['logConfiguration'] {
  return { logDriver: 'awslogs', options: { 'awslogs-group': group, 'awslogs-region': ctx.spec.region, 'awslogs-stream-prefix': prefix } };
}

/** Only what we set, in a stable shape: ECS fills in defaults (cpu 0, empty lists) we must not see as drift. */
function fingerprint(d: Desired): Fingerprint {
  const container = (c: ContainerDefinition) => ({
    name: c.name,
    image: c.image,
    essential: c.essential ?? true,
    entryPoint: c.entryPoint ?? [],
    command: c.command ?? [],
    ports: (c.portMappings ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'tcp'}`).sort(),
    environment: (c.environment ?? []).map((e) => `${e.name}=${e.value}`).sort(),
    secrets: (c.secrets ?? []).map((s) => `${s.name}=${s.valueFrom}`).sort(),
    log: c.logConfiguration ? { driver: c.logConfiguration.logDriver, ...c.logConfiguration.options } : null,
    memoryReservation: c.memoryReservation ?? null,
    user: c.user ?? null,
    dependsOn: (c.dependsOn ?? []).map((x) => `${x.containerName}:${x.condition}`).sort(),
    mountPoints: (c.mountPoints ?? []).map((m) => `${m.sourceVolume}:${m.containerPath}:${m.readOnly ? 'ro' : 'rw'}`).sort(),
    // A disabled policy is the same as none; ECS's default period is 300 s.
    restartPolicy: c.restartPolicy?.enabled
      ? { ignoredExitCodes: [...(c.restartPolicy.ignoredExitCodes ?? [])].sort((a, b) => a - b), restartAttemptPeriod: c.restartPolicy.restartAttemptPeriod ?? 300 }
      : null,
  });
  return {
    cpu: String(d.cpu),
    memory: String(d.memory),
    networkMode: d.networkMode,
    requiresCompatibilities: [...(d.requiresCompatibilities ?? [])].sort(),
    runtimePlatform: `${d.runtimePlatform?.operatingSystemFamily}/${d.runtimePlatform?.cpuArchitecture}`,
    taskRoleArn: d.taskRoleArn ?? null,
    executionRoleArn: d.executionRoleArn ?? null,
    volumes: (d.volumes ?? []).map((v) => {
      const e = v.efsVolumeConfiguration;
      return e ? `${v.name}:efs:${e.fileSystemId}:${e.rootDirectory ?? '/'}:${e.transitEncryption ?? 'DISABLED'}:${e.authorizationConfig?.accessPointId ?? ''}:${e.authorizationConfig?.iam ?? 'DISABLED'}` : `${v.name}:task`;
    }).sort(),
    containers: (d.containerDefinitions ?? []).map(container).sort((a, b) => String(a.name).localeCompare(String(b.name))),
  };
}

function describeDifferences(have: Fingerprint, want: Fingerprint): string[] {
  const diffs: string[] = [];
  for (const key of Object.keys(want)) {
    if (key === 'containers') continue;
    if (JSON.stringify(have[key]) !== JSON.stringify(want[key])) diffs.push(`${key}: ${JSON.stringify(have[key])} → ${JSON.stringify(want[key])}`);
  }
  const haveC = (have.containers as { name: string }[]) ?? [];
  for (const w of want.containers as { name: string }[]) {
    const h = haveC.find((c) => c.name === w.name);
    if (!h) { diffs.push(`add container ${w.name}`); continue; }
    for (const k of Object.keys(w) as (keyof typeof w)[]) {
      if (JSON.stringify(h[k]) !== JSON.stringify(w[k])) diffs.push(`container ${w.name} ${k}`);
    }
  }
  for (const h of haveC) if (!(want.containers as { name: string }[]).some((w) => w.name === h.name)) diffs.push(`remove container ${h.name}`);
  return diffs;
}

const FARGATE_ARM64 = (): Pick<Desired, 'networkMode' | 'requiresCompatibilities' | 'runtimePlatform'> => ({
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'ARM64' },
});

export interface OwnedRevision {
  arn: string;
  revision: number;
  status: string;
  /** What the revision sets, as `fingerprint` shapes it. */
  fingerprint: Fingerprint;
}

/**
 * The revisions of exactly this family (ListTaskDefinitions matches by prefix) with the given
 * statuses that carry the stack's tag, oldest first per status, numbered above `after` if given.
 * The list has no tags, so each such revision is described once.
 */
export async function ownedRevisions(ctx: Context, family: string, statuses: ('ACTIVE' | 'INACTIVE')[], after = 0): Promise<OwnedRevision[]> {
  const arns: string[] = [];
  for (const status of statuses) {
    let nextToken: string | undefined;
    do {
      const page = await ctx.aws.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status, nextToken }));
      arns.push(...(page.taskDefinitionArns ?? []).filter((a) => {
        const [name, revision] = a.split('/').pop()!.split(':');
        return name === family && Number(revision) > after;
      }));
      nextToken = page.nextToken;
    } while (nextToken);
  }
  const described = await Promise.all(arns.map(async (arn) => {
    const d = await ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
    const td = d.taskDefinition!;
    return isOwned(ctx.spec, d.tags) ? { arn, revision: td.revision!, status: td.status ?? 'UNKNOWN', fingerprint: fingerprint(td as Desired) } : undefined;
  }));
  return described.filter((x) => x !== undefined);
}

async function deleteRevisions(ctx: Context, revisions: OwnedRevision[]): Promise<void> {
  await Promise.all(revisions.filter((t) => t.status === 'ACTIVE').map((t) =>
    ctx.aws.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: t.arn }))));
  for (let i = 0; i < revisions.length; i += 10) {
    await ctx.aws.ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: revisions.slice(i, i + 10).map((t) => t.arn) }));
  }
}

/**
 * Registers a revision. RegisterTaskDefinition takes no client token, so when the SDK retried it
 * (a reply lost after ECS had registered) the lost attempts left revisions identical to the one
 * returned. The first of them (after `previous`) is kept, as if no reply had been lost; the rest go.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html
 */
async function register(ctx: Context, family: string, d: Desired, previous: number): Promise<TaskDefinitionState> {
  const out = await ctx.aws.ecs.send(new RegisterTaskDefinitionCommand({ ...d, tags: tags.lowerKeyValue(ctx.spec) }));
  const td = out.taskDefinition!;
  const returned = { family, arn: td.taskDefinitionArn!, revision: td.revision!, fingerprint: fingerprint(d) };
  if ((out.$metadata.attempts ?? 1) <= 1) return returned;
  const same = JSON.stringify(returned.fingerprint);
  const [first, ...duplicates] = (await ownedRevisions(ctx, family, ['ACTIVE'], previous))
    .filter((t) => t.revision <= returned.revision && JSON.stringify(t.fingerprint) === same)
    .sort((a, b) => a.revision - b.revision);
  if (!first) return returned;
  await deleteRevisions(ctx, duplicates);
  return { ...returned, arn: first.arn, revision: first.revision };
}

function taskDefinition(id: string, family: string, dependsOn: Resource[], desired: (ctx: Context) => Desired): Resource<TaskDefinitionState> {
  const self: Resource<TaskDefinitionState> = resource<TaskDefinitionState>({
    key: id,
    kind: 'task-definition',
    name: family,
    dependsOn,
    observeAfter: [],
    async observe(ctx) {
      let out;
      try {
        out = await ctx.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family, include: ['TAGS'] }));
      } catch (err) {
        // ECS answers ClientException for a family with no ACTIVE revision. Owned INACTIVE ones (a
        // destroy stopped between deregistering and deleting) are still there for destroy to delete.
        if (!hasErrorName(err, 'ClientException')) throw err;
        const [inactive] = await ownedRevisions(ctx, family, ['INACTIVE']);
        return inactive && observed({ family, arn: inactive.arn, revision: inactive.revision, fingerprint: {} }, true, inactive.arn);
      }
      const td = out.taskDefinition!;
      // moto answers with the INACTIVE latest revision; ECS with ClientException (above).
      if (td.status !== 'ACTIVE') {
        return isOwned(ctx.spec, out.tags) ? observed({ family, arn: td.taskDefinitionArn!, revision: td.revision!, fingerprint: {} }, true, td.taskDefinitionArn!) : undefined;
      }
      return observed(
        { family, arn: td.taskDefinitionArn!, revision: td.revision!, fingerprint: fingerprint(td as Desired) },
        isOwned(ctx.spec, out.tags),
        td.taskDefinitionArn!,
      );
    },
    async diff(ctx, state) {
      return describeDifferences(state.fingerprint, fingerprint(desired(ctx)));
    },
    create: (ctx) => register(ctx, family, desired(ctx), 0),
    // A task definition is immutable: a change is a new revision. Older revisions stay ACTIVE so the
    // deployment circuit breaker can roll back to them; destroy removes them all.
    update: (ctx, state) => register(ctx, family, desired(ctx), state.revision),
    async delete(ctx) {
      // Only revisions carrying the stack's tag; a revision someone else registered in the family stays.
      await deleteRevisions(ctx, await ownedRevisions(ctx, family, ['ACTIVE', 'INACTIVE']));
    },
    identify: (s) => s.arn,
  });
  return self;
}

/** Grafana's root URL in an observed task definition (where status and destroy learn the stack's domain). */
export function grafanaRootUrl(state: TaskDefinitionState | undefined): string | undefined {
  const containers = (state?.fingerprint.containers ?? []) as { name: string; environment: string[] }[];
  const env = containers.find((c) => c.name === GRAFANA_CONTAINER)?.environment ?? [];
  return env.find((e) => e.startsWith('GF_SERVER_ROOT_URL='))?.slice('GF_SERVER_ROOT_URL='.length);
}

/** What the app's task definition refers to. */
export interface AppTaskRefs {
  executionRole: Resource<RoleState>;
  taskRole: Resource<RoleState>;
  appLogs: Resource<LogGroupState>;
  agentLogs: Resource<LogGroupState>;
  workspace: Resource<WorkspaceState>;
}

export function appTaskDefinition(family: string, refs: AppTaskRefs): Resource<TaskDefinitionState> {
  // The remote-write URL is the workspace's prometheusEndpoint, which DescribeWorkspace gives once it
  // settles (CreateWorkspace does not return it), so this waits for the workspace to be ACTIVE.
  return taskDefinition('taskdef:app', family, [refs.executionRole, refs.taskRole, refs.appLogs, refs.agentLogs, refs.workspace], (ctx) => {
    const o = requireOptions(ctx.spec);
    const workspace = workspaceEndpoint(refs.workspace.peek(ctx));
    if (!workspace) throw new Error('internal: the AMP workspace has no prometheusEndpoint yet');
    const app: ContainerDefinition = {
      name: APP_CONTAINER,
      image: o.appImage,
      essential: true,
      portMappings: [{ containerPort: o.appPort, protocol: 'tcp' }],
      logConfiguration: awslogs(ctx, refs.appLogs.state(ctx).name, 'app'),
    };
    const agent = agentContainerDefinition({
      jobName: ctx.spec.name,
      appPort: o.appPort,
      metricsPath: o.metricsPath,
      scrapeInterval: o.scrapeInterval,
      remoteWriteUrl: remoteWriteUrl(workspace.prometheusEndpoint),
      region: ctx.spec.region,
      logGroup: refs.agentLogs.state(ctx).name,
    });
    return {
      family,
      ...FARGATE_ARM64(),
      cpu: String(o.cpu),
      memory: String(o.memory),
      taskRoleArn: refs.taskRole.state(ctx).arn,
      executionRoleArn: refs.executionRole.state(ctx).arn,
      containerDefinitions: [app, agent],
    };
  });
}

/** What Grafana's task definition refers to. */
export interface GrafanaTaskRefs {
  executionRole: Resource<RoleState>;
  taskRole: Resource<RoleState>;
  logs: Resource<LogGroupState>;
  secret: Resource<SecretState>;
  loadBalancer: Resource<LoadBalancerState>;
  /** Grafana's data directory on EFS; none with --grafana-storage ephemeral (it lives and dies with the task). */
  storage?: { fileSystem: Resource<FileSystemState>; accessPoint: Resource<AccessPointState> };
}

export const GRAFANA_DATA_VOLUME = 'grafana-data';
/** Where Grafana keeps its database, plugins and sessions (GF_PATHS_DATA in the official image). */
export const GRAFANA_DATA_PATH = '/var/lib/grafana';

export function grafanaTaskDefinition(family: string, refs: GrafanaTaskRefs): Resource<TaskDefinitionState> {
  // Grafana's root URL holds only the ALB's DNS name: no need to wait for it to be active.
  const storage = refs.storage ? [refs.storage.fileSystem, refs.storage.accessPoint] : [];
  return onceCreated(taskDefinition('taskdef:grafana', family, [refs.executionRole, refs.taskRole, refs.logs, refs.secret, refs.loadBalancer, ...storage], (ctx) => {
    const o = requireOptions(ctx.spec);
    const alb = refs.loadBalancer.state(ctx);
    // With a certificate, the name it covers (the ALB's own name never is): see stack/certificate.ts.
    const origin = o.certificateArn && o.domain ? `https://${o.domain}` : `http://${alb.dnsName}`;
    const grafana: ContainerDefinition = {
      name: GRAFANA_CONTAINER,
      image: o.grafanaImage,
      essential: true,
      portMappings: [{ containerPort: 3000, protocol: 'tcp' }],
      environment: [
        // The ALB does not strip /dashboard, so Grafana must serve from the sub path itself.
        { name: 'GF_SERVER_ROOT_URL', value: `${origin}/dashboard/` },
        { name: 'GF_SERVER_SERVE_FROM_SUB_PATH', value: 'true' },
        { name: 'GF_AUTH_ANONYMOUS_ENABLED', value: 'false' },
        { name: 'GF_USERS_ALLOW_SIGN_UP', value: 'false' },
        { name: 'GF_SECURITY_ADMIN_USER', value: 'admin' },
        // Installed before Grafana starts; a failed install stops the task instead of a broken datasource.
        { name: 'GF_PLUGINS_PREINSTALL_SYNC', value: AMP_PLUGIN },
      ],
      secrets: [{ name: 'GF_SECURITY_ADMIN_PASSWORD', valueFrom: refs.secret.state(ctx).arn }],
      logConfiguration: awslogs(ctx, refs.logs.state(ctx).name, 'grafana'),
      ...(refs.storage ? { mountPoints: [{ sourceVolume: GRAFANA_DATA_VOLUME, containerPath: GRAFANA_DATA_PATH, readOnly: false }] } : {}),
    };
    // IAM authorization through the access point needs transit encryption
    // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_EFSAuthorizationConfig.html).
    const volumes = refs.storage ? [{
      name: GRAFANA_DATA_VOLUME,
      efsVolumeConfiguration: {
        fileSystemId: refs.storage.fileSystem.state(ctx).id,
        transitEncryption: 'ENABLED' as const,
        authorizationConfig: { accessPointId: refs.storage.accessPoint.state(ctx).id, iam: 'ENABLED' as const },
      },
    }] : undefined;
    return {
      family,
      ...FARGATE_ARM64(),
      cpu: '256',
      memory: '512',
      taskRoleArn: refs.taskRole.state(ctx).arn,
      executionRoleArn: refs.executionRole.state(ctx).arn,
      containerDefinitions: [grafana],
      ...(volumes ? { volumes } : {}),
    };
  }), [refs.loadBalancer]);
}
