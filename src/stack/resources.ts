import type { Context, Resource } from '../engine/types.js';
import { ampWorkspace, type WorkspaceState } from '../resources/amp-workspace.js';
import { ecsCluster } from '../resources/cluster.js';
import { dnsRecord } from '../resources/dns-record.js';
import { onceCreated, stateOf } from '../resources/common.js';
import { appService, grafanaService } from '../resources/ecs-service.js';
import { iamRole, policy, TASK_EXECUTION_POLICY_ARN } from '../resources/iam-role.js';
import { dashboardRule, metricsRule } from '../resources/listener-rule.js';
import { listeners } from '../resources/listeners.js';
import { loadBalancer } from '../resources/load-balancer.js';
import { logGroup } from '../resources/log-group.js';
import { grafanaSecret, type SecretState } from '../resources/secret.js';
import { albSecurityGroup, tasksSecurityGroup } from '../resources/security-group.js';
import { appTargetGroup, grafanaTargetGroup } from '../resources/target-group.js';
import { appTaskDefinition, grafanaTaskDefinition } from '../resources/task-definition.js';
import type { StackSpec } from './spec.js';

// Grafana only reads from AMP; these are the query actions of the AmazonPrometheusQueryAccess policy.
export const AMP_QUERY_ACTIONS = ['aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata'];

const workspaceArn = (ctx: Context) => stateOf<WorkspaceState>(ctx, 'workspace').arn;
const secretArn = (ctx: Context) => stateOf<SecretState>(ctx, 'secret').arn;

/** Every AWS resource of a stack, with its dependencies: the graph the engine runs. */
export function stackResources(spec: StackSpec): Resource[] {
  const n = spec.names;
  return [
    albSecurityGroup(n.albSecurityGroup),
    tasksSecurityGroup(n.tasksSecurityGroup),
    logGroup('log:app', n.appLogGroup),
    logGroup('log:agent', n.agentLogGroup),
    logGroup('log:grafana', n.grafanaLogGroup),
    ampWorkspace(n.workspaceAlias),
    grafanaSecret(n.grafanaSecret),
    iamRole('role:execution', n.executionRole, 'fargate-prom: pull images, write logs, read the Grafana admin secret', ['secret'], (ctx) => ({
      managedPolicyArns: [TASK_EXECUTION_POLICY_ARN],
      inlinePolicies: { 'read-grafana-admin-secret': policy({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretArn(ctx) }) },
      // No accountFromArn: the execution role keeps the documented trust policy, without conditions.
    })),
    // The task roles' policies name the workspace by ARN, which CreateWorkspace returns at once.
    onceCreated(iamRole('role:app-task', n.appTaskRole, 'fargate-prom: the agent sidecar remote-writes to this stack\'s AMP workspace', ['workspace'], (ctx) => ({
      managedPolicyArns: [],
      inlinePolicies: { 'amp-remote-write': policy({ Effect: 'Allow', Action: 'aps:RemoteWrite', Resource: workspaceArn(ctx) }) },
      accountFromArn: workspaceArn(ctx),
    })), ['workspace']),
    onceCreated(iamRole('role:grafana-task', n.grafanaTaskRole, 'fargate-prom: Grafana queries this stack\'s AMP workspace', ['workspace'], (ctx) => ({
      managedPolicyArns: [],
      inlinePolicies: { 'amp-query': policy({ Effect: 'Allow', Action: AMP_QUERY_ACTIONS, Resource: workspaceArn(ctx) }) },
      accountFromArn: workspaceArn(ctx),
    })), ['workspace']),
    ecsCluster(n.cluster),
    appTargetGroup(n.appTargetGroup),
    grafanaTargetGroup(n.grafanaTargetGroup),
    loadBalancer(n.loadBalancer),
    listeners(),
    dashboardRule(),
    metricsRule(),
    appTaskDefinition(n.appFamily),
    grafanaTaskDefinition(n.grafanaFamily),
    appService(n.appService),
    grafanaService(n.grafanaService),
    // Only with a public hosted zone for the domain; without one, up prints the record to create.
    ...(spec.dns?.zone ? [dnsRecord(spec.dns.domain, spec.dns.zone)] : []),
  ];
}
