import { DescribeAccessPointsCommand, DescribeFileSystemsCommand, DescribeMountTargetsCommand } from '@aws-sdk/client-efs';
import { ListWorkspacesCommand } from '@aws-sdk/client-amp';
import { DescribeLogGroupsCommand, ListTagsForResourceCommand as ListLogTagsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeSecurityGroupsCommand, type IpPermission } from '@aws-sdk/client-ec2';
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListClustersCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  type Tag as ElbTag,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
} from '@aws-sdk/client-iam';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import type { SimClients } from './sim-fixtures.js';

/**
 * What a stack is, read straight from moto (no simulation rules, no CLI code): every resource of
 * every kind that carries the tag `fargate-prom:stack=<stack>` or one of the stack's names, found by
 * listing everything of that kind rather than by asking for the names the CLI would look up, with
 * the attributes that matter. Generated identifiers (group ids, ARNs, DNS names, workspace ids) and
 * the stack name are replaced by stable placeholders, so the view of one stack can be compared with
 * the view of another made with the same options. Timestamps are left out.
 */
export interface StackView {
  securityGroups: object[];
  loadBalancers: object[];
  listeners: object[];
  rules: object[];
  targetGroups: object[];
  clusters: object[];
  services: object[];
  taskDefinitions: { family: string; revision: number; status?: string }[];
  roles: { name?: string; managedPolicies: (string | undefined)[]; inlinePolicies: Record<string, unknown> }[];
  logGroups: { name?: string; retentionInDays?: number }[];
  secrets: object[];
  workspaces: object[];
  /** Grafana's EFS file system (by its CreationToken), its mount targets and access points. */
  fileSystems: object[];
  mountTargets: object[];
  accessPoints: object[];
}

const TAG_KEY = 'fargate-prom:stack';

/** The names a stack's resources get (README's resource table), written out here rather than taken from src/. */
function namesOf(stack: string): Set<string> {
  return new Set([
    stack, // cluster, workspace alias
    ...['alb', 'tasks'].map((x) => `${stack}-${x}`), // security groups (and the load balancer: -alb)
    ...['app', 'grafana'].map((x) => `${stack}-${x}`), // target groups, task definition families, services
    ...['execution', 'app-task', 'grafana-task'].map((x) => `${stack}-${x}`), // IAM roles
    ...['app', 'agent', 'grafana'].map((x) => `/fargate-prom/${stack}/${x}`), // log groups
    `fargate-prom/${stack}/grafana-admin`, // secret
  ]);
}

type TagLike = { Key?: string; Value?: string; key?: string; value?: string };
const hasStackTag = (stack: string, tags: TagLike[] | Record<string, string> | undefined): boolean =>
  Array.isArray(tags) ? tags.some((t) => (t.Key ?? t.key) === TAG_KEY && (t.Value ?? t.value) === stack) : tags?.[TAG_KEY] === stack;
/** The stack's own: carries its tag, or one of its names (a copy that lost its tag is still a duplicate). */
const ofStack = (stack: string, tags: TagLike[] | Record<string, string> | undefined, name: string | undefined): boolean =>
  hasStackTag(stack, tags) || (name !== undefined && namesOf(stack).has(name));
const sortedTags = (tags: TagLike[] | Record<string, string> | undefined) =>
  (Array.isArray(tags) ? tags.map((t) => `${t.Key ?? t.key}=${t.Value ?? t.value}`) : Object.entries(tags ?? {}).map(([k, v]) => `${k}=${v}`)).sort();
const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

/** JSON documents (IAM returns them URL-encoded, keys in any order) in one canonical shape. */
function canonical(doc: unknown): unknown {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort)
      : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]))
        : v;
  return sort(typeof doc === 'string' ? JSON.parse(decodeURIComponent(doc)) : doc);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Everything of the stack in moto, normalised (see StackView). */
export async function readStack(moto: SimClients, stack: string): Promise<StackView> {
  const ids = new Map<string, string>(); // generated identifier → placeholder
  const [securityGroups, elb, ecs, roles, logGroups, secrets, workspaces, efs] = await Promise.all([
    readSecurityGroups(moto, stack, ids),
    readLoadBalancing(moto, stack, ids),
    readEcs(moto, stack, ids),
    readRoles(moto, stack, ids),
    readLogGroups(moto, stack),
    readSecrets(moto, stack, ids),
    readWorkspaces(moto, stack, ids),
    readEfs(moto, stack, ids),
  ]);
  const view: StackView = { securityGroups, ...elb, ...ecs, roles, logGroups, secrets, workspaces, ...efs };
  return replacePlaceholders(view, ids, stack);
}

/** How many of each kind the stack has; task definitions as ACTIVE revisions per family. */
export function countKinds(view: StackView) {
  const revisions: Record<string, number> = {};
  for (const t of view.taskDefinitions.filter((t) => t.status === 'ACTIVE')) {
    const family = t.family.replace(/^<stack>-/, '');
    revisions[family] = (revisions[family] ?? 0) + 1;
  }
  return {
    securityGroups: view.securityGroups.length,
    loadBalancers: view.loadBalancers.length,
    listeners: view.listeners.length,
    rules: view.rules.length,
    targetGroups: view.targetGroups.length,
    clusters: view.clusters.length,
    services: view.services.length,
    taskDefinitions: view.taskDefinitions.length,
    revisions,
    roles: view.roles.length,
    logGroups: view.logGroups.length,
    secrets: view.secrets.length,
    workspaces: view.workspaces.length,
    fileSystems: view.fileSystems.length,
    accessPoints: view.accessPoints.length,
  };
}

/** `kind name` of every resource in the view, for messages ("still there after destroy: …"). */
export function describeAll(view: StackView): string[] {
  return Object.entries(view).flatMap(([kind, items]) =>
    (items as Record<string, unknown>[]).map((i) => `${kind} ${i.name ?? i.family ?? i.port ?? i.priority ?? '?'}${i.revision ? `:${i.revision} (${i.status})` : ''}`));
}

function rulesOf(perms: IpPermission[] | undefined) {
  return (perms ?? []).flatMap((p) => [
    ...(p.IpRanges ?? []).map((r) => ({ protocol: p.IpProtocol, from: p.FromPort, to: p.ToPort, source: r.CidrIp })),
    ...(p.UserIdGroupPairs ?? []).map((g) => ({ protocol: p.IpProtocol, from: p.FromPort, to: p.ToPort, source: g.GroupId })),
  ]).sort(byJson);
}

async function readSecurityGroups(moto: SimClients, stack: string, ids: Map<string, string>) {
  const groups = ((await moto.ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? []).filter((g) => ofStack(stack, g.Tags, g.GroupName));
  for (const g of groups) ids.set(g.GroupId!, `<sg ${g.GroupName}>`);
  return groups.map((g) => ({
    name: g.GroupName,
    description: g.Description,
    vpc: g.VpcId,
    ingress: rulesOf(g.IpPermissions),
    egress: rulesOf(g.IpPermissionsEgress),
    tags: sortedTags(g.Tags),
  })).sort(byJson);
}

async function elbTags(moto: SimClients, arns: string[]): Promise<Map<string, ElbTag[]>> {
  const pages = await Promise.all(chunks(arns, 20).map((ResourceArns) => moto.elb.send(new DescribeTagsCommand({ ResourceArns }))));
  return new Map(pages.flatMap((p) => p.TagDescriptions ?? []).map((d) => [d.ResourceArn!, d.Tags ?? []]));
}

/** A rule's ARN is its listener's, with listener-rule for listener and the rule's id appended. */
const ruleArnPrefix = (listenerArn: string) => `${listenerArn.replace(':listener/', ':listener-rule/')}/`;

const actionOf = (a: { Type?: string; TargetGroupArn?: string; ForwardConfig?: { TargetGroups?: { TargetGroupArn?: string }[] }; RedirectConfig?: object; FixedResponseConfig?: object; Order?: number }) => ({
  type: a.Type,
  targetGroup: a.TargetGroupArn ?? a.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn,
  redirect: a.RedirectConfig,
  fixedResponse: a.FixedResponseConfig,
});

async function readLoadBalancing(moto: SimClients, stack: string, ids: Map<string, string>) {
  const [lbs, tgs] = await Promise.all([
    moto.elb.send(new DescribeLoadBalancersCommand({})).then((o) => o.LoadBalancers ?? []),
    moto.elb.send(new DescribeTargetGroupsCommand({})).then((o) => o.TargetGroups ?? []),
  ]);
  // Listeners and rules of every load balancer: a tagged one could sit on any of them.
  const listeners = (await Promise.all(lbs.map((lb) => moto.elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn })))))
    .flatMap((o) => o.Listeners ?? []);
  const rules = (await Promise.all(listeners.map((l) => moto.elb.send(new DescribeRulesCommand({ ListenerArn: l.ListenerArn })))))
    .flatMap((o) => o.Rules ?? []).filter((r) => !r.IsDefault);
  const tags = await elbTags(moto, [...lbs.map((x) => x.LoadBalancerArn!), ...tgs.map((x) => x.TargetGroupArn!), ...listeners.map((x) => x.ListenerArn!), ...rules.map((x) => x.RuleArn!)]);
  const myLbs = lbs.filter((x) => ofStack(stack, tags.get(x.LoadBalancerArn!), x.LoadBalancerName));
  const myTgs = tgs.filter((x) => ofStack(stack, tags.get(x.TargetGroupArn!), x.TargetGroupName));
  // Listeners and rules have no names: tagged, or on the stack's load balancer.
  const myListeners = listeners.filter((x) => hasStackTag(stack, tags.get(x.ListenerArn!)) || myLbs.some((lb) => lb.LoadBalancerArn === x.LoadBalancerArn));
  const myRules = rules.filter((x) => hasStackTag(stack, tags.get(x.RuleArn!)) || myListeners.some((l) => x.RuleArn!.startsWith(ruleArnPrefix(l.ListenerArn!))));
  for (const lb of myLbs) {
    ids.set(lb.LoadBalancerArn!, `<lb ${lb.LoadBalancerName}>`);
    ids.set(lb.DNSName!, `<dns ${lb.LoadBalancerName}>`);
  }
  for (const tg of myTgs) ids.set(tg.TargetGroupArn!, `<tg ${tg.TargetGroupName}>`);
  for (const l of myListeners) ids.set(l.ListenerArn!, `<listener :${l.Port}>`);
  for (const r of myRules) ids.set(r.RuleArn!, `<rule ${r.Priority}>`);

  const attributes = await Promise.all(myTgs.map((tg) => moto.elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }))));
  return {
    loadBalancers: myLbs.map((lb) => ({
      name: lb.LoadBalancerName,
      scheme: lb.Scheme,
      type: lb.Type,
      ipAddressType: lb.IpAddressType,
      vpc: lb.VpcId,
      subnets: (lb.AvailabilityZones ?? []).map((z) => z.SubnetId).sort(),
      securityGroups: [...(lb.SecurityGroups ?? [])].sort(),
      dnsName: lb.DNSName,
      tags: sortedTags(tags.get(lb.LoadBalancerArn!)),
    })).sort(byJson),
    listeners: myListeners.map((l) => ({
      loadBalancer: l.LoadBalancerArn,
      port: l.Port,
      protocol: l.Protocol,
      certificates: (l.Certificates ?? []).map((c) => c.CertificateArn).sort(),
      sslPolicy: l.SslPolicy,
      defaultActions: (l.DefaultActions ?? []).map(actionOf),
      tags: sortedTags(tags.get(l.ListenerArn!)),
    })).sort(byJson),
    rules: myRules.map((r) => ({
      listener: listeners.find((l) => r.RuleArn!.startsWith(ruleArnPrefix(l.ListenerArn!)))?.ListenerArn,
      priority: r.Priority,
      conditions: (r.Conditions ?? []).map((c) => ({ field: c.Field, values: [...(c.PathPatternConfig?.Values ?? c.Values ?? [])].sort() })).sort(byJson),
      actions: (r.Actions ?? []).map(actionOf),
      tags: sortedTags(tags.get(r.RuleArn!)),
    })).sort(byJson),
    targetGroups: myTgs.map((tg, i) => ({
      name: tg.TargetGroupName,
      protocol: tg.Protocol,
      port: tg.Port,
      vpc: tg.VpcId,
      targetType: tg.TargetType,
      healthCheck: {
        protocol: tg.HealthCheckProtocol,
        path: tg.HealthCheckPath,
        port: tg.HealthCheckPort,
        intervalSeconds: tg.HealthCheckIntervalSeconds,
        timeoutSeconds: tg.HealthCheckTimeoutSeconds,
        healthyThreshold: tg.HealthyThresholdCount,
        unhealthyThreshold: tg.UnhealthyThresholdCount,
        matcher: tg.Matcher?.HttpCode,
      },
      attributes: Object.fromEntries((attributes[i].Attributes ?? []).map((a) => [a.Key, a.Value]).sort(byJson)),
      tags: sortedTags(tags.get(tg.TargetGroupArn!)),
    })).sort(byJson),
  };
}

async function readEcs(moto: SimClients, stack: string, ids: Map<string, string>) {
  const clusterArns = (await moto.ecs.send(new ListClustersCommand({}))).clusterArns ?? [];
  const clusters = clusterArns.length
    ? ((await moto.ecs.send(new DescribeClustersCommand({ clusters: clusterArns, include: ['TAGS'] }))).clusters ?? []).filter((c) => c.status === 'ACTIVE')
    : [];
  // Services of every cluster; moto keeps deleted (INACTIVE) ones in its lists.
  const services = (await Promise.all(clusters.map(async (c) => {
    const arns = (await moto.ecs.send(new ListServicesCommand({ cluster: c.clusterArn }))).serviceArns ?? [];
    if (!arns.length) return [];
    return (await moto.ecs.send(new DescribeServicesCommand({ cluster: c.clusterArn, services: arns, include: ['TAGS'] }))).services ?? [];
  }))).flat().filter((s) => s.status !== 'INACTIVE' && ofStack(stack, s.tags, s.serviceName));
  // Every revision, ACTIVE or INACTIVE: destroy deregisters and deletes them all.
  const revisionArns = (await Promise.all((['ACTIVE', 'INACTIVE'] as const).map((status) => listAll((nextToken) =>
    moto.ecs.send(new ListTaskDefinitionsCommand({ status, nextToken })).then((o) => ({ items: o.taskDefinitionArns, nextToken: o.nextToken })))))).flat();
  const revisions = (await Promise.all(revisionArns.map((taskDefinition) => moto.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] })))))
    .filter((d) => ofStack(stack, d.tags, d.taskDefinition!.family));

  const myClusters = clusters.filter((c) => ofStack(stack, c.tags, c.clusterName));
  for (const c of myClusters) ids.set(c.clusterArn!, `<cluster ${c.clusterName}>`);
  for (const s of services) ids.set(s.serviceArn!, `<service ${s.serviceName}>`);
  for (const d of revisions) ids.set(d.taskDefinition!.taskDefinitionArn!, `<task-definition ${d.taskDefinition!.family}:${d.taskDefinition!.revision}>`);
  return {
    clusters: myClusters.map((c) => ({ name: c.clusterName, tags: sortedTags(c.tags) })).sort(byJson),
    services: services.map((s) => {
      const net = s.networkConfiguration?.awsvpcConfiguration;
      return {
        name: s.serviceName,
        cluster: s.clusterArn,
        status: s.status,
        taskDefinition: s.taskDefinition,
        desiredCount: s.desiredCount,
        launchType: s.launchType,
        network: { subnets: [...(net?.subnets ?? [])].sort(), securityGroups: [...(net?.securityGroups ?? [])].sort(), assignPublicIp: net?.assignPublicIp },
        loadBalancers: (s.loadBalancers ?? []).map((lb) => ({ targetGroup: lb.targetGroupArn, container: lb.containerName, port: lb.containerPort })),
        tags: sortedTags(s.tags),
      };
    }).sort(byJson),
    taskDefinitions: revisions.map(({ taskDefinition: t, tags }) => ({
      family: t!.family!,
      revision: t!.revision!,
      status: t!.status,
      cpu: t!.cpu,
      memory: t!.memory,
      networkMode: t!.networkMode,
      requiresCompatibilities: [...(t!.requiresCompatibilities ?? [])].sort(),
      runtimePlatform: t!.runtimePlatform,
      taskRole: t!.taskRoleArn,
      executionRole: t!.executionRoleArn,
      containers: canonical([...(t!.containerDefinitions ?? [])].sort((a, b) => a.name!.localeCompare(b.name!))),
      tags: sortedTags(tags),
    })).sort(byJson),
  };
}

/** Every item of a paginated list. */
async function listAll<T>(page: (token?: string) => Promise<{ items?: T[]; nextToken?: string }>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const p = await page(token);
    out.push(...(p.items ?? []));
    token = p.nextToken;
  } while (token);
  return out;
}

async function readRoles(moto: SimClients, stack: string, ids: Map<string, string>) {
  const roles = await listAll((Marker) => moto.iam.send(new ListRolesCommand({ Marker })).then((o) => ({ items: o.Roles, nextToken: o.IsTruncated ? o.Marker : undefined })));
  const tagged = (await Promise.all(roles.map(async (r) => ({ role: r, tags: (await moto.iam.send(new ListRoleTagsCommand({ RoleName: r.RoleName }))).Tags ?? [] }))))
    .filter(({ role, tags }) => ofStack(stack, tags, role.RoleName));
  for (const { role } of tagged) ids.set(role.Arn!, `<role ${role.RoleName}>`);
  return (await Promise.all(tagged.map(async ({ role, tags }) => {
    const [attached, inlineNames] = await Promise.all([
      moto.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role.RoleName })),
      moto.iam.send(new ListRolePoliciesCommand({ RoleName: role.RoleName })),
    ]);
    const inline = await Promise.all((inlineNames.PolicyNames ?? []).map(async (PolicyName) =>
      [PolicyName, canonical((await moto.iam.send(new GetRolePolicyCommand({ RoleName: role.RoleName, PolicyName }))).PolicyDocument)] as const));
    return {
      name: role.RoleName,
      path: role.Path,
      description: role.Description,
      trustPolicy: canonical(role.AssumeRolePolicyDocument),
      managedPolicies: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn).sort(),
      inlinePolicies: Object.fromEntries(inline.sort(byJson)),
      tags: sortedTags(tags),
    };
  }))).sort(byJson);
}

async function readLogGroups(moto: SimClients, stack: string) {
  const groups = await listAll((nextToken) => moto.logs.send(new DescribeLogGroupsCommand({ nextToken })).then((o) => ({ items: o.logGroups, nextToken: o.nextToken })));
  const withTags = await Promise.all(groups.map(async (g) => ({
    group: g,
    tags: (await moto.logs.send(new ListLogTagsCommand({ resourceArn: g.logGroupArn ?? g.arn!.replace(/:\*$/, '') }))).tags ?? {},
  })));
  return withTags.filter(({ group, tags }) => ofStack(stack, tags, group.logGroupName))
    .map(({ group, tags }) => ({ name: group.logGroupName, retentionInDays: group.retentionInDays, tags: sortedTags(tags) }))
    .sort(byJson);
}

async function readEfs(moto: SimClients, stack: string, ids: Map<string, string>) {
  const token = `${stack}-grafana`;
  const fileSystems = (await moto.efs.send(new DescribeFileSystemsCommand({ CreationToken: token }))).FileSystems ?? [];
  for (const f of fileSystems) {
    ids.set(f.FileSystemArn!, `<file-system-arn ${token}>`);
    ids.set(f.FileSystemId!, `<file-system ${token}>`);
  }
  const mountTargets = (await Promise.all(fileSystems.map((f) => moto.efs.send(new DescribeMountTargetsCommand({ FileSystemId: f.FileSystemId })))))
    .flatMap((o) => o.MountTargets ?? []);
  const accessPoints = (await Promise.all(fileSystems.map((f) => moto.efs.send(new DescribeAccessPointsCommand({ FileSystemId: f.FileSystemId })))))
    .flatMap((o) => o.AccessPoints ?? []);
  for (const a of accessPoints) {
    ids.set(a.AccessPointArn!, `<access-point-arn ${token}>`);
    ids.set(a.AccessPointId!, `<access-point ${token}>`);
  }
  return {
    fileSystems: fileSystems.map((f) => ({ name: token, encrypted: f.Encrypted, tags: sortedTags(f.Tags) })),
    mountTargets: mountTargets.map((m) => ({ name: m.AvailabilityZoneName, state: m.LifeCycleState })).sort(byJson),
    accessPoints: accessPoints.map((a) => ({ name: token, uid: a.PosixUser?.Uid, root: a.RootDirectory?.Path, tags: sortedTags(a.Tags) })),
  };
}

async function readSecrets(moto: SimClients, stack: string, ids: Map<string, string>) {
  // Secrets scheduled for deletion count too: they still hold the name and the tag.
  const secrets = (await moto.secrets.send(new ListSecretsCommand({ IncludePlannedDeletion: true }))).SecretList ?? [];
  const mine = secrets.filter((s) => ofStack(stack, s.Tags, s.Name));
  for (const s of mine) ids.set(s.ARN!, `<secret ${s.Name}>`);
  return mine.map((s) => ({ name: s.Name, description: s.Description, scheduledForDeletion: s.DeletedDate !== undefined, tags: sortedTags(s.Tags) })).sort(byJson);
}

async function readWorkspaces(moto: SimClients, stack: string, ids: Map<string, string>) {
  const workspaces = (await moto.amp.send(new ListWorkspacesCommand({}))).workspaces ?? [];
  const mine = workspaces.filter((w) => ofStack(stack, w.tags, w.alias));
  for (const w of mine) {
    ids.set(w.arn!, `<workspace-arn ${w.alias}>`);
    ids.set(w.workspaceId!, `<workspace ${w.alias}>`);
  }
  return mine.map((w) => ({ name: w.alias, tags: sortedTags(w.tags) })).sort(byJson);
}

/** Every generated identifier → its placeholder (longest first, so an ARN goes before the id inside it), then the stack name. */
function replacePlaceholders(view: StackView, ids: Map<string, string>, stack: string): StackView {
  const pairs = [...ids].sort((a, b) => b[0].length - a[0].length);
  const stackName = new RegExp(`(?<![a-z0-9-])${stack.replace(/[-]/g, '\\-')}(?![a-z0-9])`, 'g');
  const fix = (s: string) => pairs.reduce((acc, [from, to]) => acc.split(from).join(to), s).replace(stackName, '<stack>');
  const walk = (v: unknown): unknown =>
    typeof v === 'string' ? fix(v)
      : Array.isArray(v) ? v.map(walk)
        : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [fix(k), walk(x)]))
          : v;
  // Placeholders change how items sort: sort each kind again.
  const out = walk(view) as StackView;
  for (const items of Object.values(out)) (items as unknown[]).sort(byJson);
  return out;
}
