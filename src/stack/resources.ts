import type { Context, Resource } from '../resources/context.js';
import { ampWorkspace, type WorkspaceState } from '../resources/amp-workspace.js';
import { ecsCluster, type ClusterState } from '../resources/cluster.js';
import { dnsRecord } from '../resources/dns-record.js';
import { deletedAlongside, onceCreated } from '../resources/common.js';
import { appService, grafanaService, type ServiceState } from '../resources/ecs-service.js';
import { iamRole, policy, TASK_EXECUTION_POLICY_ARN, type RoleState } from '../resources/iam-role.js';
import { dashboardRule, metricsRule, type RuleState } from '../resources/listener-rule.js';
import { listeners as albListeners, type ListenersState } from '../resources/listeners.js';
import { loadBalancer, type LoadBalancerState } from '../resources/load-balancer.js';
import { logGroup, type LogGroupState } from '../resources/log-group.js';
import { grafanaSecret, type SecretState } from '../resources/secret.js';
import { efsAccessPoint, type AccessPointState } from '../resources/efs-access-point.js';
import { efsFileSystem, type FileSystemState } from '../resources/efs-file-system.js';
import { efsMountTargets, type MountTargetsState } from '../resources/efs-mount-targets.js';
import { albSecurityGroup, efsSecurityGroup, tasksSecurityGroup, type SecurityGroupState } from '../resources/security-group.js';
import { appTargetGroup, grafanaTargetGroup, type TargetGroupState } from '../resources/target-group.js';
import { appTaskDefinition, grafanaTaskDefinition, type TaskDefinitionState } from '../resources/task-definition.js';
import type { StackSpec } from './spec.js';

// Grafana only reads from AMP; these are the query actions of the AmazonPrometheusQueryAccess policy.
export const AMP_QUERY_ACTIONS = ['aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata'];

/**
 * The stack's resources as typed references, for the commands and helpers that read their states
 * (endpoints, DNS, ingestion), and `all`: the graph the engine runs, in report order.
 */
export interface Stack {
  all: Resource[];
  albSecurityGroup: Resource<SecurityGroupState>;
  tasksSecurityGroup: Resource<SecurityGroupState>;
  appLogs: Resource<LogGroupState>;
  agentLogs: Resource<LogGroupState>;
  grafanaLogs: Resource<LogGroupState>;
  workspace: Resource<WorkspaceState>;
  secret: Resource<SecretState>;
  executionRole: Resource<RoleState>;
  appTaskRole: Resource<RoleState>;
  grafanaTaskRole: Resource<RoleState>;
  cluster: Resource<ClusterState>;
  appTargetGroup: Resource<TargetGroupState>;
  grafanaTargetGroup: Resource<TargetGroupState>;
  loadBalancer: Resource<LoadBalancerState>;
  listeners: Resource<ListenersState>;
  dashboardRule: Resource<RuleState>;
  metricsRule: Resource<RuleState>;
  appTaskDefinition: Resource<TaskDefinitionState>;
  grafanaTaskDefinition: Resource<TaskDefinitionState>;
  appService: Resource<ServiceState>;
  grafanaService: Resource<ServiceState>;
  /** Grafana's data on EFS: in `all` unless up's options say --grafana-storage ephemeral. */
  efsSecurityGroup: Resource<SecurityGroupState>;
  fileSystem: Resource<FileSystemState>;
  mountTargets: Resource<MountTargetsState>;
  accessPoint: Resource<AccessPointState>;
  /** Whether this run's graph has the EFS resources (status and destroy always look for them). */
  efs: boolean;
}

// Grafana's task mounts its data directory through the access point, with its task role
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticfilesystem.html:
// ClientMount and ClientWrite take a file-system resource and the elasticfilesystem:AccessPointArn condition key).
export const EFS_CLIENT_ACTIONS = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'];

/**
 * Every AWS resource of a stack. Each takes the resources it refers to as arguments: those are its
 * dependencies, and its typed way to read their states.
 */
export function stackResources(spec: StackSpec): Stack {
  const n = spec.names;
  const albSg = albSecurityGroup(n.albSecurityGroup);
  const tasksSg = tasksSecurityGroup(n.tasksSecurityGroup, { albSecurityGroup: albSg });
  const appLogs = logGroup('log:app', n.appLogGroup);
  const agentLogs = logGroup('log:agent', n.agentLogGroup);
  const grafanaLogs = logGroup('log:grafana', n.grafanaLogGroup);
  const workspace = ampWorkspace(n.workspaceAlias);
  // Status and destroy (no options) look for the EFS resources whatever the stack was made with.
  const efs = spec.options?.grafanaStorage !== 'ephemeral';
  const efsSg = efsSecurityGroup(n.efsSecurityGroup, { tasksSecurityGroup: tasksSg });
  const fileSystem = efsFileSystem(n.grafanaFileSystem);
  const accessPoint = efsAccessPoint(n.grafanaAccessPoint, { fileSystem });
  const mountTargets = efsMountTargets({ fileSystem, securityGroup: efsSg });
  const secret = grafanaSecret(n.grafanaSecret);
  const workspaceArn = (ctx: Context) => workspace.state(ctx).arn;
  const executionRole = iamRole('role:execution', n.executionRole, 'fargate-prom: pull images, write logs, read the Grafana admin secret', [secret], (ctx) => ({
    managedPolicyArns: [TASK_EXECUTION_POLICY_ARN],
    inlinePolicies: { 'read-grafana-admin-secret': policy({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secret.state(ctx).arn }) },
    // No accountFromArn: the execution role keeps the documented trust policy, without conditions.
  }));
  // The task roles' policies name the workspace by ARN, which CreateWorkspace returns at once.
  const appTaskRole = onceCreated(iamRole('role:app-task', n.appTaskRole, 'fargate-prom: the agent sidecar remote-writes to this stack\'s AMP workspace', [workspace], (ctx) => ({
    managedPolicyArns: [],
    inlinePolicies: { 'amp-remote-write': policy({ Effect: 'Allow', Action: 'aps:RemoteWrite', Resource: workspaceArn(ctx) }) },
    accountFromArn: workspaceArn(ctx),
  })), [workspace]);
  const grafanaStorage = efs ? [fileSystem, accessPoint] : [];
  const grafanaTaskRole = onceCreated(iamRole('role:grafana-task', n.grafanaTaskRole, 'fargate-prom: Grafana queries this stack\'s AMP workspace', [workspace, ...grafanaStorage], (ctx) => ({
    managedPolicyArns: [],
    inlinePolicies: {
      'amp-query': policy({ Effect: 'Allow', Action: AMP_QUERY_ACTIONS, Resource: workspaceArn(ctx) }),
      ...(efs ? {
        'efs-grafana-data': policy({
          Effect: 'Allow',
          Action: EFS_CLIENT_ACTIONS,
          Resource: fileSystem.state(ctx).arn,
          Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': accessPoint.state(ctx).arn } },
        }),
      } : {}),
    },
    accountFromArn: workspaceArn(ctx),
  })), [workspace, ...grafanaStorage]);
  const cluster = ecsCluster(n.cluster);
  const appTg = appTargetGroup(n.appTargetGroup);
  const grafanaTg = grafanaTargetGroup(n.grafanaTargetGroup);
  const alb = loadBalancer(n.loadBalancer, { securityGroup: albSg });
  // Listeners (and so the rules and services after them) need only the ALB's ARN: they go in while it provisions.
  const listeners = onceCreated(albListeners({ loadBalancer: alb, appTargetGroup: appTg }), [alb]);
  const dashboard = dashboardRule({ listeners, grafanaTargetGroup: grafanaTg });
  const metrics = metricsRule({ listeners });
  const appTd = appTaskDefinition(n.appFamily, { executionRole, taskRole: appTaskRole, appLogs, agentLogs, workspace });
  const grafanaTd = grafanaTaskDefinition(n.grafanaFamily, { executionRole, taskRole: grafanaTaskRole, logs: grafanaLogs, secret, loadBalancer: alb,
    ...(efs ? { storage: { fileSystem, accessPoint } } : {}),
  });
  const appSvc = appService(n.appService, {
    cluster, taskDefinition: appTd, targetGroup: appTg, securityGroup: tasksSg, roles: [executionRole, appTaskRole], listeners, workspace,
  });
  const grafanaSvc = grafanaService(n.grafanaService, {
    cluster, taskDefinition: grafanaTd, targetGroup: grafanaTg, securityGroup: tasksSg, roles: [executionRole, grafanaTaskRole], dashboardRule: dashboard,
    ...(efs ? { mountTargets } : {}),
  });
  // Destroy deletes the ALB at once, while the services drain: DeleteLoadBalancer takes its listeners and
  // rules along and leaves the targets alone (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeleteLoadBalancer.html),
  // and the Grafana task definition only names its DNS name.
  deletedAlongside(listeners, [alb]);
  deletedAlongside(grafanaTd, [alb]);
  // The app's task definition and the task roles' policies only name the workspace: it goes as soon as
  // the agents writing to it are gone (the app service waits for it), beside the roles, not after them.
  deletedAlongside(appTd, [workspace]);
  deletedAlongside(appTaskRole, [workspace]);
  deletedAlongside(grafanaTaskRole, [workspace]);
  // Nor do the mount targets wait for Grafana's tasks to drain: DeleteMountTarget breaks the mounts through
  // them (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteMountTarget.html), and the data goes anyway.
  if (efs) deletedAlongside(grafanaSvc, [mountTargets]);
  const named = {
    albSecurityGroup: albSg,
    tasksSecurityGroup: tasksSg,
    appLogs,
    agentLogs,
    grafanaLogs,
    workspace,
    secret,
    executionRole,
    appTaskRole,
    grafanaTaskRole,
    cluster,
    appTargetGroup: appTg,
    grafanaTargetGroup: grafanaTg,
    loadBalancer: alb,
    listeners,
    dashboardRule: dashboard,
    metricsRule: metrics,
    appTaskDefinition: appTd,
    grafanaTaskDefinition: grafanaTd,
    appService: appSvc,
    grafanaService: grafanaSvc,
  };
  const storage = { efsSecurityGroup: efsSg, fileSystem, mountTargets, accessPoint };
  return {
    ...named,
    ...storage,
    efs,
    all: [
      ...Object.values(named),
      ...(efs ? Object.values(storage) : []),
      // Only with a public hosted zone for the domain; without one, up prints the record to create.
      ...(spec.dns?.zone ? [dnsRecord(spec.dns.domain, spec.dns.zone, named)] : []),
    ],
  };
}
