import { deleteFirst } from '../engine/engine.js';
import type { Resource } from '../engine/types.js';
import type { SimTiming } from '@fargate-prom/aws-sim/testing';

/**
 * The lower bound of a command: the longest chain of AWS round trips and simulated waits that no
 * implementation of the same plan can avoid, given
 *
 * - the resources and their `dependsOn` edges, taken from the real stack (src/stack/resources.ts),
 *   with the engine's rule that a resource starts once everything it depends on is done (created
 *   and settled; only created, after its first call, for its `needsCreated`), and for destroy the reverse;
 * - for each resource and command, the number of *sequential* AWS calls the step needs (calls that
 *   need an earlier call's answer; calls that could go out together count once), listed below;
 * - the simulated waits the step cannot skip (SimTiming: ALB provisioning, AMP creation/deletion,
 *   service start and target health, service draining) and the simulation's timing rules that
 *   tie resources together (a new role is not assumable for roleWarmupMs; a security group stays
 *   in use for eniLingerMs after the service or ALB that used it is gone).
 *
 * Every call costs exactly the added latency L; the proxy's and moto's own processing time, the
 * CLI's process start, JSON parsing and polling granularity are taken as zero. So the bound is
 * optimistic by construction: a perfect implementation on an infinitely fast simulator.
 */
export interface Step {
  /** Sequential AWS round trips. */
  calls: number;
  /** Simulated wait between the first call and the last one (e.g. CreateService … DescribeServices). */
  waitMs?: number;
}

/** `node` may not have its first call processed before `other`'s first call was processed + lag. */
interface Lag {
  node: string;
  other: string;
  lagMs: (t: SimTiming) => number;
  /** Where in `other` the clock starts: its first call (default) or its end. */
  from?: 'first-call' | 'end';
}

export interface BoundResult {
  ms: number;
  /** The chain that sets the bound, first to last, with its parts. */
  chain: string[];
  /** Calls on that chain, and the simulated waits on it (ms). */
  calls: number;
  waitMs: number;
}

// Figures are keyed by resource kind, the part of the id before ':' (`log:app` → `log`); an entry for a
// whole id would override its kind's (`table[id] ?? table[kind]`), none needs one today.
const figure = <T>(table: Record<string, T>, id: string): T | undefined => table[id] ?? table[id.split(':')[0]];

// Reading an existing resource: DescribeSecurityGroups carries tags and rules; a log group needs
// ListTagsForResource after DescribeLogGroups; a role needs GetRole → ListRolePolicies → GetRolePolicy
// (ListAttachedRolePolicies alongside); a target group DescribeTargetGroups → DescribeTags ∥ attributes.
// The ALB's DescribeTags goes out alongside DescribeListeners, so the ALB itself counts 1.
// EFS: DescribeFileSystems by CreationToken carries the tags; mount targets and access points are listed by file system.
const OBSERVE_EXISTING: Record<string, number> = {
  sg: 1, log: 2, workspace: 1, secret: 1, role: 3, cluster: 1, tg: 2, alb: 1, listeners: 1, rule: 1, taskdef: 1, service: 1,
  'efs:file-system': 1, 'efs:mount-targets': 1, 'efs:access-point': 1,
};
/** What an observe needs from another observe: ARNs it cannot look up by name. */
const OBSERVE_NEEDS: Record<string, string[]> = {
  listeners: ['alb'], 'rule:dashboard': ['listeners'], 'rule:metrics': ['listeners'],
  'efs:mount-targets': ['efs:file-system'], 'efs:access-point': ['efs:file-system'],
};

const CREATE = (t: SimTiming): Record<string, Step> => ({
  sg: { calls: 2 }, // CreateSecurityGroup → AuthorizeSecurityGroupIngress
  log: { calls: 2 }, // CreateLogGroup (with tags) → PutRetentionPolicy
  workspace: { calls: 2, waitMs: t.ampCreateMs }, // CreateWorkspace, CREATING, DescribeWorkspace → ACTIVE
  secret: { calls: 1 }, // CreateSecret
  role: { calls: 2 }, // CreateRole → AttachRolePolicy ∥ PutRolePolicy
  cluster: { calls: 1 },
  tg: { calls: 2 }, // CreateTargetGroup → ModifyTargetGroupAttributes (deregistration delay)
  alb: { calls: 2, waitMs: t.albProvisionMs }, // CreateLoadBalancer, provisioning, DescribeLoadBalancers → active
  listeners: { calls: 1 },
  rule: { calls: 1 },
  taskdef: { calls: 1 },
  // CreateService, tasks start, targets turn healthy, DescribeServices ∥ DescribeTargetHealth → steady
  service: { calls: 2, waitMs: t.serviceStartMs + t.targetHealthyMs },
  // CreateFileSystem, creating, DescribeFileSystems → available
  'efs:file-system': { calls: 2, waitMs: t.efsFileSystemCreateMs },
  // CreateMountTarget (one per subnet, at once), creating, DescribeMountTargets → available
  'efs:mount-targets': { calls: 2, waitMs: t.efsMountTargetCreateMs },
  // CreateAccessPoint, creating, DescribeAccessPoints → available
  'efs:access-point': { calls: 2, waitMs: t.efsAccessPointCreateMs },
});

const DELETE = (t: SimTiming): Record<string, Step> => ({
  // DeleteService, DRAINING, DescribeServices → INACTIVE
  service: { calls: 2, waitMs: t.drainMs },
  // ListTaskDefinitions (ACTIVE ∥ INACTIVE) → DescribeTaskDefinition (tags) → Deregister → DeleteTaskDefinitions
  taskdef: { calls: 4 },
  rule: { calls: 1 },
  listeners: { calls: 1 },
  alb: { calls: 2 }, // DeleteLoadBalancer → DescribeLoadBalancers (gone)
  tg: { calls: 1 },
  cluster: { calls: 1 },
  // ListAttachedRolePolicies ∥ ListRolePolicies → Detach ∥ DeleteRolePolicy → DeleteRole
  role: { calls: 3 },
  workspace: { calls: 2, waitMs: t.ampDeleteMs }, // DeleteWorkspace, DELETING, DescribeWorkspace → gone
  secret: { calls: 1 },
  log: { calls: 1 },
  sg: { calls: 1 },
  'efs:access-point': { calls: 1 },
  // DeleteMountTarget (each at once), deleting, DescribeMountTargets → none
  'efs:mount-targets': { calls: 2, waitMs: t.efsMountTargetDeleteMs },
  'efs:file-system': { calls: 1 },
});

// ECS refuses a service whose task or execution role is younger than roleWarmupMs.
const CREATE_LAGS: Lag[] = [
  { node: 'service:app', other: 'role:execution', lagMs: (t) => t.roleWarmupMs },
  { node: 'service:app', other: 'role:app-task', lagMs: (t) => t.roleWarmupMs },
  { node: 'service:grafana', other: 'role:execution', lagMs: (t) => t.roleWarmupMs },
  { node: 'service:grafana', other: 'role:grafana-task', lagMs: (t) => t.roleWarmupMs },
];
// A security group is in use until eniLingerMs after the last service or ALB using it is gone.
const DELETE_LAGS: Lag[] = [
  { node: 'sg:tasks', other: 'service:app', from: 'end', lagMs: (t) => t.eniLingerMs },
  { node: 'sg:tasks', other: 'service:grafana', from: 'end', lagMs: (t) => t.eniLingerMs },
  { node: 'sg:alb', other: 'alb', lagMs: (t) => t.eniLingerMs },
  { node: 'sg:efs', other: 'efs:mount-targets', from: 'end', lagMs: (t) => t.eniLingerMs },
];

interface Node {
  id: string;
  step: Step;
  deps: string[];
  /** Deps this node waits for only until their first call (the create) is answered. */
  createdOnly?: string[];
}

/** How much of a node's step lies on the chain: all of it, nothing (a timing rule counts from its start), or its first call. */
type Part = 'whole' | 'start' | 'first-call';

/** Earliest finish of every node (each call = latencyMs), and the chain that ends last. */
function longestChain(nodes: Node[], latencyMs: number, timing: SimTiming, lags: Lag[], label: (id: string) => string): BoundResult {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const start = new Map<string, number>();
  const end = new Map<string, number>();
  const why = new Map<string, { id: string; lagMs?: number; fromStart?: boolean; created?: boolean } | undefined>();
  const visit = (id: string): number => {
    if (end.has(id)) return end.get(id)!;
    const n = byId.get(id)!;
    let s = 0;
    let cause: { id: string; lagMs?: number; fromStart?: boolean; created?: boolean } | undefined;
    for (const d of n.deps) {
      if (!byId.has(d)) continue;
      const created = n.createdOnly?.includes(d) ?? false;
      const e = created ? (visit(d), start.get(d)! + latencyMs) : visit(d);
      if (e > s) { s = e; cause = { id: d, created }; }
    }
    for (const lag of lags.filter((l) => l.node === id && byId.has(l.other))) {
      visit(lag.other);
      const fromStart = lag.from !== 'end';
      const mark = fromStart ? start.get(lag.other)! + latencyMs : end.get(lag.other)!;
      // This node's first call is processed at s + latency; it must come lag after the mark.
      const earliest = mark + lag.lagMs(timing) - latencyMs;
      if (earliest > s) {
        s = earliest;
        cause = { id: lag.other, fromStart, lagMs: earliest - (fromStart ? start.get(lag.other)! : end.get(lag.other)!) };
      }
    }
    start.set(id, s);
    why.set(id, cause);
    const e = s + n.step.calls * latencyMs + (n.step.waitMs ?? 0);
    end.set(id, e);
    return e;
  };
  let last = '';
  let ms = 0;
  for (const n of nodes) if (visit(n.id) >= ms) { ms = visit(n.id); last = n.id; }
  const chain: string[] = [];
  let calls = 0;
  let waitMs = 0;
  // Walk back from the node that ends last; a timing rule puts its wait on the chain, counted from
  // the other node's start (its own calls then do not count) or end; a created-only edge counts the
  // other node's first call.
  let id: string | undefined = last;
  let part: Part = 'whole';
  while (id) {
    const n = byId.get(id)!;
    if (part === 'whole') {
      calls += n.step.calls;
      waitMs += n.step.waitMs ?? 0;
      chain.unshift(`${label(id)} ${n.step.calls}×L${n.step.waitMs ? ` + ${n.step.waitMs} ms` : ''}`);
    } else if (part === 'first-call') {
      calls += 1;
      chain.unshift(`${label(id)} 1×L (exists)`);
    } else {
      chain.unshift(`${label(id)} starts`);
    }
    const cause = why.get(id);
    if (cause?.lagMs !== undefined) {
      chain.unshift(`wait ${cause.lagMs} ms`);
      waitMs += cause.lagMs;
      part = cause.fromStart ? 'start' : 'whole';
    } else {
      part = cause?.created ? 'first-call' : 'whole';
    }
    id = cause?.id;
  }
  return { ms, chain, calls, waitMs };
}

function sequence(parts: BoundResult[]): BoundResult {
  return {
    ms: parts.reduce((a, p) => a + p.ms, 0),
    chain: parts.flatMap((p) => p.chain),
    calls: parts.reduce((a, p) => a + p.calls, 0),
    waitMs: parts.reduce((a, p) => a + p.waitMs, 0),
  };
}

const fixed = (name: string, calls: number, latencyMs: number): BoundResult => ({ ms: calls * latencyMs, chain: [`${name} ${calls}×L`], calls, waitMs: 0 });

export type Command = 'up' | 'up-unchanged' | 'status' | 'destroy';

/**
 * EFS mount targets (issue 12), once the stack's graph has them: CreateMountTarget, creating (the
 * simulation's efsMountTargetCreateMs), DescribeMountTargets → available; DeleteMountTarget … gone
 * on destroy. Recognised by id, so the bound includes them, overlapped as the graph says.
 */
function efsStep(phase: 'create' | 'delete', id: string, timing: SimTiming): Step | undefined {
  if (!/mount/i.test(id)) return undefined;
  return { calls: 2, waitMs: phase === 'create' ? timing.efsMountTargetCreateMs : timing.efsMountTargetDeleteMs };
}

const keys = (rs: Resource[]) => rs.map((r) => r.key);

/** The lower bound of one command against a stack of `resources`, at `latencyMs` per call. */
export function lowerBound(command: Command, resources: Resource[], latencyMs: number, timing: SimTiming): BoundResult {
  const graph = (step: (id: string) => Step, deps: (r: Resource) => string[], createdOnly?: (r: Resource) => string[] | undefined): Node[] =>
    resources.map((r) => ({ id: r.key, step: step(r.key), deps: deps(r), createdOnly: createdOnly?.(r) }));
  const stepOf = (phase: 'create' | 'delete', table: Record<string, Step>, fallback: Step) => (id: string) => efsStep(phase, id, timing) ?? figure(table, id) ?? fallback;
  // DescribeVpcs → DescribeSubnets ∥ DescribeRouteTables
  const network = fixed('resolve network', 2, latencyMs);
  // Fresh stack: every lookup by name at once; listeners and rules are not looked for without an ALB.
  const observeFresh = fixed('observe (nothing exists)', 1, latencyMs);
  const observeExisting = longestChain(
    graph((id) => ({ calls: figure(OBSERVE_EXISTING, id) ?? 1 }), (r) => OBSERVE_NEEDS[r.key] ?? []),
    latencyMs, timing, [], (id) => `observe ${id}`,
  );
  switch (command) {
    case 'up': {
      const apply = longestChain(graph(stepOf('create', CREATE(timing), { calls: 1 }), (r) => keys(r.dependsOn), (r) => r.needsCreated && keys(r.needsCreated)), latencyMs, timing, CREATE_LAGS, (id) => `create ${id}`);
      return sequence([network, observeFresh, apply]);
    }
    case 'up-unchanged':
      // Nothing to change; one DescribeServices ∥ DescribeTargetHealth round confirms the services are steady.
      return sequence([network, observeExisting, fixed('services steady', 1, latencyMs)]);
    case 'status':
      // Health of every resource: one round of Describe calls, all at once.
      return sequence([observeExisting, fixed('health', 1, latencyMs)]);
    case 'destroy': {
      const dependents = deleteFirst(resources);
      const del = longestChain(graph(stepOf('delete', DELETE(timing), { calls: 1 }), (r) => keys(dependents.get(r)!)), latencyMs, timing, DELETE_LAGS, (id) => `delete ${id}`);
      // Sweep: lookups by name and tag, all at once (nothing is left to describe further).
      return sequence([observeExisting, del, fixed('sweep', 1, latencyMs)]);
    }
  }
}

/**
 * Sequential AWS calls of one resource's create or delete step, waits left out: the real-AWS model
 * (real-aws.ts) prices the same calls at a real round trip.
 */
export function sequentialCalls(phase: 'create' | 'delete', id: string): number {
  const noWaits = new Proxy({}, { get: () => 0 }) as SimTiming;
  return (efsStep(phase, id, noWaits) ?? figure(phase === 'create' ? CREATE(noWaits) : DELETE(noWaits), id))?.calls ?? 1;
}

/** Resource ids the model has no figures for (a resource added since): they count as one call. */
export function unmodelled(resources: Resource[]): string[] {
  return resources.map((r) => r.key).filter((id) => figure(OBSERVE_EXISTING, id) === undefined);
}
