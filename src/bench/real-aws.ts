import { deleteFirst } from '../engine/engine.js';
import type { Resource } from '../engine/types.js';
import type { UpOptions } from '../config/options.js';
import { makeSpec } from '../stack/spec.js';
import { sequentialCalls } from './model.js';

/**
 * A model of `up` and `destroy` on real AWS: this CLI's own schedule (the stack's resources, their
 * `dependsOn` and `needsCreated` edges, the engine's rule that a resource starts once what it depends
 * on is done — or only created, for `needsCreated` — and destroy in reverse) replayed with real-world
 * durations for every wait AWS imposes, each from a public source (FIGURES). The graph is read from
 * the resources at run time, so a new resource or a changed dependency changes the result.
 *
 * Optimistic where the CLI adds time of its own (polling granularity, CreateService retries during
 * IAM propagation are priced at the propagation alone); every figure is a typical one, not a worst case.
 */

export interface Figure {
  seconds: number;
  /** A public URL, or "assumption: …" where no public figure was found. */
  source: string;
}

/** Real-world durations, with where each comes from. Health-check and draining settings are read from the code. */
export const FIGURES = {
  // No public per-call figure was found; a regional API round trip from a nearby client.
  apiCall: { seconds: 0.1, source: 'assumption: ~100 ms per AWS API round trip (no public figure used)' },
  albProvision: { seconds: 150, source: 'https://github.com/kubernetes/kubernetes/issues/44695 (a new load balancer: "very normal that it takes > 2 minutes")' },
  ampCreate: { seconds: 5, source: 'https://github.com/aws-observability/terraform-aws-observability-accelerator/pull/181 ("Creating the Amazon Managed service for Prometheus workspace takes just a few seconds")' },
  iamPropagation: { seconds: 10, source: 'https://github.com/hashicorp/terraform-provider-aws/issues/6566 (a new role cannot be assumed for 10-30 s)' },
  efsMountTarget: { seconds: 90, source: 'https://docs.aws.amazon.com/efs/latest/ug/mounting-fs-mount-cmd-dns-name.html (wait 90 seconds after creating a mount target before mounting)' },
  taskStart: { seconds: 60, source: 'https://elasticscale.com/blog/reduce-aws-fargate-pull-times-with-soci (Fargate task creation to start: 53-62 s, 413 MB image)' },
  grafanaPluginInstall: { seconds: 10, source: 'assumption: no public timing found for installing grafana-amazonprometheus-datasource at start; Grafana itself starts in 0.5-2 s (https://github.com/grafana/grafana/issues/2102)' },
  healthChecks: { seconds: 0, source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html (healthy after HealthyThresholdCount consecutive checks, HealthCheckIntervalSeconds apart); interval and threshold from src/resources/target-group.ts' },
  grafanaRequest: { seconds: 0.2, source: 'assumption: one Grafana HTTP API request through the ALB, ~200 ms' },
  deregistration: { seconds: 0, source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#deregistration-delay (targets drain for the deregistration delay); delay from src/resources/target-group.ts' },
  taskStop: { seconds: 30, source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html (stopTimeout: a container that ignores SIGTERM is killed after 30 s by default)' },
  eniRelease: { seconds: 60, source: 'https://github.com/kubernetes-sigs/aws-load-balancer-controller/issues/208 (the network interface takes "up to 1min" to go after its load balancer; https://github.com/hashicorp/terraform/issues/3758: "some minutes")' },
  ampDelete: { seconds: 5, source: 'assumption: no public figure found for DeleteWorkspace; taken as long as creation' },
  efsMountTargetDelete: { seconds: 30, source: 'assumption: no public figure found for a mount target to be deleted (and release its network interface)' },
} satisfies Record<string, Figure>;
export type Figures = typeof FIGURES;

/** Comparable tools, with their published times for a first deploy of a Fargate service behind an ALB. */
export const PEERS: { name: string; upSeconds: number; source: string }[] = [
  { name: 'Copilot `init --deploy` (VPC, ALB, ECS service)', upSeconds: 480, source: 'https://github.com/aws/copilot-cli (README of an older revision: "around 8 minutes")' },
  { name: 'Copilot first deploy on a new account (reported)', upSeconds: 960, source: 'https://github.com/aws/copilot-cli/issues/1948 (past 16 minutes, interrupted)' },
  { name: 'CDK ecs-patterns ApplicationLoadBalancedFargateService', upSeconds: 420, source: 'https://github.com/awsdocs/aws-cdk-guide/issues/316 (7 minutes from UPDATE_IN_PROGRESS to UPDATE_COMPLETE)' },
  { name: 'The recipe\'s CDK deploy (the same CloudFormation deploy; datasource and dashboard by hand not counted)', upSeconds: 420, source: 'https://github.com/awsdocs/aws-cdk-guide/issues/316' },
  { name: 'Pulumi awsx FargateService', upSeconds: 261, source: 'https://github.com/pulumi/pulumi-awsx/issues/927 (4m21s end to end, 30 s of it an IAM retry)' },
  { name: 'Terraform aws_lb + listener alone (no service)', upSeconds: 231, source: 'https://github.com/hashicorp/terraform/pull/11333 (TestAccDataSourceAWSALBListener_basic: 230.98 s)' },
];

export interface PathStep {
  step: string;
  seconds: number;
  source: string;
}

export interface RealRun {
  seconds: number;
  criticalPath: PathStep[];
}

export interface ModelNode {
  id: string;
  /** Nodes that must be done (created and settled) before this one starts. */
  deps: string[];
  /** Of deps, those needed only created: this node starts once their first part is done. */
  createdOnly?: string[];
  /** This node's parts, in order; the first is its create (or delete) call(s), or its only wait. */
  parts: PathStep[];
  /** AWS rules that hold a node back beyond its deps: not before `other`'s first part (created) or end, plus seconds. */
  notBefore?: { other: string; from: 'created' | 'end'; step: string; seconds: number; source: string }[];
}

const sum = (parts: PathStep[]) => parts.reduce((a, p) => a + p.seconds, 0);
const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The earliest end of a run of `nodes` (each starting as soon as its deps and rules allow, all
 * independent ones at once, as the engine runs them), between the fixed `before` and `after` steps,
 * and the chain of steps that sets it.
 */
export function schedule(nodes: ModelNode[], before: PathStep[] = [], after: PathStep[] = []): RealRun {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const start = new Map<string, number>();
  type Cause = { id: string; part: 'created' | 'end'; rule?: PathStep };
  const cause = new Map<string, Cause | undefined>();
  const createdAt = (id: string) => start.get(id)! + byId.get(id)!.parts[0].seconds;
  const endAt = (id: string) => start.get(id)! + sum(byId.get(id)!.parts);
  const visit = (id: string, path: string[] = []): void => {
    if (start.has(id)) return;
    if (path.includes(id)) throw new Error(`dependency cycle: ${[...path, id].join(' -> ')}`);
    const n = byId.get(id)!;
    let s = 0;
    let why: Cause | undefined;
    for (const d of n.deps.filter((x) => byId.has(x))) {
      visit(d, [...path, id]);
      const part = n.createdOnly?.includes(d) ? 'created' : 'end';
      const t = part === 'created' ? createdAt(d) : endAt(d);
      if (t > s) { s = t; why = { id: d, part }; }
    }
    for (const rule of (n.notBefore ?? []).filter((r) => byId.has(r.other))) {
      visit(rule.other, [...path, id]);
      const t = (rule.from === 'created' ? createdAt(rule.other) : endAt(rule.other)) + rule.seconds;
      if (t > s) { s = t; why = { id: rule.other, part: rule.from, rule: { step: rule.step, seconds: rule.seconds, source: rule.source } }; }
    }
    start.set(id, s);
    cause.set(id, why);
  };
  let last: string | undefined;
  for (const n of nodes) {
    visit(n.id);
    if (last === undefined || endAt(n.id) >= endAt(last)) last = n.id;
  }
  const chain: PathStep[] = [];
  let id = last;
  let part: 'created' | 'end' = 'end';
  while (id !== undefined) {
    const n = byId.get(id)!;
    chain.unshift(...(part === 'created' ? n.parts.slice(0, 1) : n.parts));
    const why = cause.get(id);
    if (why?.rule) chain.unshift(why.rule);
    part = why?.part ?? 'end';
    id = why?.id;
  }
  const criticalPath = [...before, ...chain, ...after].filter((p) => p.seconds > 0).map((p) => ({ ...p, seconds: round1(p.seconds) }));
  return { seconds: round1(sum(before) + (last === undefined ? 0 : endAt(last)) + sum(after)), criticalPath };
}

/** A target group's health check and draining, as its create step really sets them. */
export interface TargetGroupSettings {
  intervalSeconds: number;
  healthyThreshold: number;
  deregistrationDelaySeconds: number;
}

/**
 * Runs a target group's real `create` against a recording stand-in for the ELB client and reads the
 * health check and the deregistration delay it sends: the figures follow the code, not a copy of it.
 */
export async function targetGroupSettings(tg: Resource): Promise<TargetGroupSettings> {
  const sent: Record<string, any>[] = [];
  const options = { appPort: 3000, healthPath: '/', metricsPath: '/metrics' } as Partial<UpOptions> as UpOptions;
  const ctx = {
    spec: makeSpec('model', 'us-east-1', options, { vpcId: 'vpc-model', subnetIds: [], assignPublicIp: true }),
    states: new Map(),
    aws: { elb: { send: async (command: { input: Record<string, any> }) => { sent.push(command.input); return { TargetGroups: [{ TargetGroupArn: 'arn:model' }] }; } } },
  };
  try {
    await tg.create(ctx);
  } catch (err) {
    throw new Error(`real-AWS model: could not read ${tg.key}'s health check from its create (${(err as Error).message}); teach targetGroupSettings the context it now needs`);
  }
  const created = sent.find((i) => i.HealthCheckIntervalSeconds !== undefined);
  const delay = sent.flatMap((i) => i.Attributes ?? []).find((a: { Key: string }) => a.Key === 'deregistration_delay.timeout_seconds');
  if (!created) throw new Error(`${tg.key}: its create sent no health check`);
  return {
    intervalSeconds: created.HealthCheckIntervalSeconds,
    healthyThreshold: created.HealthyThresholdCount,
    // Without ModifyTargetGroupAttributes, AWS's default applies.
    deregistrationDelaySeconds: delay ? Number(delay.Value) : 300,
  };
}

// EFS is recognised by kind or key, so the model picks it up once the stack's graph has it.
const isMountTarget = (r: Resource) => /mount/i.test(r.kind) || /mount/i.test(r.key);
const hasEni = (r: Resource) => r.kind === 'load-balancer' || r.kind === 'ecs-service' || isMountTarget(r);

/** Every resource reachable from `r` through dependsOn. */
function reachable(r: Resource, seen = new Set<Resource>()): Set<Resource> {
  for (const d of r.dependsOn) if (!seen.has(d)) { seen.add(d); reachable(d, seen); }
  return seen;
}

export interface RealAwsModel {
  up: RealRun;
  destroy: RealRun;
  peers: typeof PEERS;
  /** The health-check and draining settings read from the target groups, by resource key. */
  targetGroups: Record<string, TargetGroupSettings>;
  /** Whether the graph has EFS mount targets (their wait is then in the model). */
  efs: boolean;
}

/** `up` and `destroy` of `resources` on real AWS, with `figures` (FIGURES unless a test changes them). */
export async function realAwsModel(resources: Resource[], figures: Figures = FIGURES): Promise<RealAwsModel> {
  const f = figures;
  const tgs: Record<string, TargetGroupSettings> = {};
  for (const r of resources.filter((x) => x.kind === 'target-group')) tgs[r.key] = await targetGroupSettings(r);
  const tgOf = (r: Resource) => r.dependsOn.find((d) => d.kind === 'target-group');
  const calls = (phase: 'create' | 'delete', r: Resource): PathStep => {
    const n = sequentialCalls(phase, r.key);
    return { step: `${phase} ${r.key} (${n} sequential AWS call${n > 1 ? 's' : ''})`, seconds: n * f.apiCall.seconds, source: f.apiCall.source };
  };
  const wait = (step: string, fig: Figure, seconds = fig.seconds): PathStep => ({ step, seconds, source: fig.source });

  const upParts = (r: Resource): PathStep[] => {
    const parts = [calls('create', r)];
    if (r.kind === 'load-balancer') parts.push(wait(`${r.key}: provisioning → active`, f.albProvision));
    if (r.kind === 'amp-workspace') parts.push(wait(`${r.key}: CREATING → ACTIVE`, f.ampCreate));
    if (isMountTarget(r)) parts.push(wait(`${r.key}: mount target available and its DNS name resolvable`, f.efsMountTarget));
    if (r.kind === 'ecs-service') {
      parts.push(wait(`${r.key}: Fargate tasks provisioned, images pulled, containers started`, f.taskStart));
      if (/grafana/.test(r.key)) parts.push(wait(`${r.key}: Grafana installs its AMP plugin and starts`, f.grafanaPluginInstall));
    }
    return parts;
  };
  const upNodes: ModelNode[] = resources.flatMap((r): ModelNode[] => {
    const node: ModelNode = {
      id: r.key,
      deps: r.dependsOn.map((d) => d.key),
      createdOnly: r.needsCreated?.map((d) => d.key),
      parts: upParts(r),
    };
    if (r.kind !== 'ecs-service') return [node];
    // ECS cannot use a role IAM has not propagated yet: the service's tasks wait for it.
    const roles = [...reachable(r)].filter((d) => d.kind === 'iam-role');
    const tasks: ModelNode = {
      ...node,
      id: `${r.key} (tasks)`,
      notBefore: roles.map((role) => ({ other: role.key, from: 'end' as const, step: `IAM propagation of ${role.key}`, seconds: f.iamPropagation.seconds, source: f.iamPropagation.source })),
    };
    // Its targets turn healthy once the tasks answer and the load balancer, whose nodes run the health
    // checks, is active: a separate node, so a service created while the ALB provisions still waits for it.
    const tg = tgOf(r);
    const hc = tg && tgs[tg.key];
    const healthy: ModelNode = {
      id: r.key,
      deps: [tasks.id, ...[...reachable(r)].filter((d) => d.kind === 'load-balancer').map((d) => d.key)],
      parts: [hc
        ? wait(`${r.key}: ${hc.healthyThreshold} healthy checks ${hc.intervalSeconds} s apart`, f.healthChecks, hc.healthyThreshold * hc.intervalSeconds)
        : { step: `${r.key}: steady`, seconds: 0, source: f.healthChecks.source }],
    };
    return [tasks, healthy];
  });
  // Grafana's HTTP API once the services are steady: health, datasource lookup and create, its
  // health test, dashboard fetch, folder lookup and create, import.
  const grafanaRequests = 8;
  const up = schedule(
    upNodes,
    [{ step: 'resolve the network (2 calls) and observe the stack (1 round)', seconds: 3 * f.apiCall.seconds, source: f.apiCall.source }],
    [{ step: `Grafana HTTP API: ${grafanaRequests} requests (datasource, its test, dashboard import)`, seconds: grafanaRequests * f.grafanaRequest.seconds, source: f.grafanaRequest.source }],
  );

  const dependents = deleteFirst(resources);
  const downParts = (r: Resource): PathStep[] => {
    const parts = [calls('delete', r)];
    if (r.kind === 'ecs-service') {
      const tg = tgOf(r);
      const delay = tg ? tgs[tg.key]?.deregistrationDelaySeconds ?? 300 : 0;
      if (delay) parts.push(wait(`${r.key}: targets drain for the deregistration delay (${delay} s)`, f.deregistration, delay));
      parts.push(wait(`${r.key}: tasks stop, DRAINING → INACTIVE`, f.taskStop));
    }
    if (r.kind === 'amp-workspace') parts.push(wait(`${r.key}: DELETING → gone`, f.ampDelete));
    if (isMountTarget(r)) parts.push(wait(`${r.key}: deleting → gone`, f.efsMountTargetDelete));
    return parts;
  };
  const downNodes: ModelNode[] = resources.map((r) => ({
    id: r.key,
    deps: dependents.get(r)!.map((d) => d.key),
    parts: downParts(r),
    // A security group stays in use until the network interfaces of what used it are released.
    notBefore: r.kind === 'security-group'
      ? dependents.get(r)!.filter(hasEni).map((d) => ({ other: d.key, from: 'end' as const, step: `network interfaces of ${d.key} released`, seconds: f.eniRelease.seconds, source: f.eniRelease.source }))
      : undefined,
  }));
  const destroy = schedule(
    downNodes,
    [{ step: 'observe the stack (ALB → listeners → rule: 3 rounds)', seconds: 3 * f.apiCall.seconds, source: f.apiCall.source }],
    [{ step: 'sweep by name and tag (1 round)', seconds: f.apiCall.seconds, source: f.apiCall.source }],
  );
  return { up, destroy, peers: PEERS, targetGroups: tgs, efs: resources.some(isMountTarget) };
}
