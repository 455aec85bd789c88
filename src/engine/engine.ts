import { CliError, ExitCode, ForeignResourceError } from '../errors.js';
import { describeError } from '../aws/errors.js';
import { runGraph } from './graph.js';
import type { Context, Observed, Resource, ResourceReport, UpAction } from './types.js';

export type Observation = Map<string, Observed<unknown> | undefined>;

export interface PlannedChange {
  resource: Resource;
  action: UpAction;
  differences: string[];
}

/**
 * Observes every resource, each once the resources whose state its lookup reads have been observed
 * (`observeAfter`, by default `dependsOn`); everything else at once.
 */
export async function observeAll(resources: Resource[], ctx: Context): Promise<Observation> {
  const byId = new Map(resources.map((r) => [r.id, r]));
  const observed: Observation = new Map();
  const result = await runGraph(
    resources.map((r) => r.id),
    (id) => byId.get(id)!.observeAfter ?? byId.get(id)!.dependsOn,
    async (id) => {
      const found = await byId.get(id)!.observe(ctx);
      observed.set(id, found);
      if (found?.owned) ctx.states.set(id, found.state);
    },
    ctx.signal,
  );
  throwFirstFailure(result.failed, byId, 'observing');
  return observed;
}

/** Resources that exist under the stack's names without the stack's tag. */
export function foreignResources(resources: Resource[], observed: Observation) {
  return resources
    .filter((r) => observed.get(r.id) && !observed.get(r.id)!.owned)
    .map((r) => ({ kind: r.kind, name: r.name, id: observed.get(r.id)!.id }));
}

export async function plan(resources: Resource[], observed: Observation, ctx: Context): Promise<PlannedChange[]> {
  const foreign = foreignResources(resources, observed);
  if (foreign.length > 0) throw new ForeignResourceError(foreign);
  const creating = new Set(resources.filter((r) => !observed.get(r.id)).map((r) => r.id));
  return Promise.all(
    resources.map(async (resource): Promise<PlannedChange> => {
      const found = observed.get(resource.id);
      if (!found) return { resource, action: 'create', differences: [] };
      const newDeps = resource.dependsOn.filter((d) => creating.has(d));
      if (newDeps.length > 0) {
        // Its desired state refers to resources that do not exist yet; apply compares again once they do.
        return { resource, action: 'update', differences: [`refers to new ${newDeps.join(', ')}`] };
      }
      const differences = await resource.diff(ctx, found.state);
      return { resource, action: differences.length ? 'update' : 'unchanged', differences };
    }),
  );
}

/** The second half of a resource's step in apply: waiting until it is usable (settle). */
const SETTLED = '#settled';
const settledNode = (id: string) => id + SETTLED;
const resourceOf = (node: string) => (node.endsWith(SETTLED) ? node.slice(0, -SETTLED.length) : node);

/**
 * Applies the plan in dependency order, independent resources at once. Each resource is compared
 * again just before acting, with the final states of what it depends on. A resource's step is two
 * nodes: create/update, then settle; a dependent waits for the settle unless it needs the resource
 * only created (`needsCreated`).
 */
export async function apply(changes: PlannedChange[], observed: Observation, ctx: Context): Promise<ResourceReport[]> {
  const byId = new Map(changes.map((c) => [c.resource.id, c.resource]));
  // Created or updated (the resource exists as reported), then settled (the step is done).
  const applied = new Map<string, ResourceReport & { action: UpAction }>();
  const reports = new Map<string, ResourceReport>();

  const createOrUpdate = async (resource: Resource) => {
    const found = observed.get(resource.id);
    let action: UpAction;
    let differences: string[] = [];
    let state: unknown;
    if (!found) {
      action = 'create';
      ctx.reporter.resource({ kind: resource.kind, name: resource.name, action, phase: 'start' });
      state = await resource.create(ctx);
    } else {
      differences = await resource.diff(ctx, found.state);
      action = differences.length ? 'update' : 'unchanged';
      state = found.state;
      if (action === 'update') {
        ctx.reporter.resource({ kind: resource.kind, name: resource.name, action, phase: 'start', differences });
        state = await resource.update(ctx, found.state, differences);
      }
    }
    ctx.states.set(resource.id, state);
    applied.set(resource.id, { kind: resource.kind, name: resource.name, id: resource.identify(state), action, differences });
  };

  const settle = async (resource: Resource) => {
    let state = ctx.states.get(resource.id);
    if (resource.settle) {
      state = await resource.settle(ctx, state);
      ctx.states.set(resource.id, state);
    }
    const report = { ...applied.get(resource.id)!, id: resource.identify(state) };
    reports.set(resource.id, report);
    ctx.reporter.resource({ ...report, phase: 'done' });
  };

  const result = await runGraph(
    changes.flatMap((c) => [c.resource.id, settledNode(c.resource.id)]),
    (node) => {
      if (node.endsWith(SETTLED)) return [resourceOf(node)];
      const resource = byId.get(node)!;
      return resource.dependsOn.map((d) => (resource.needsCreated?.includes(d) ? d : settledNode(d)));
    },
    (node) => (node.endsWith(SETTLED) ? settle(byId.get(resourceOf(node))!) : createOrUpdate(byId.get(node)!)),
    ctx.signal,
  );
  // A resource created but not yet settled when the run stopped exists all the same: it counts as done.
  const appliedIds = changes.map((c) => c.resource.id).filter((id) => applied.has(id));
  const finished = (id: string) => reports.get(id) ?? applied.get(id)!;
  if (result.failed.length > 0) {
    // Only steps that ran and failed; an interrupt names a step that never started (see runGraph).
    const failedIds = new Set(result.failed.filter((f) => !result.skipped.includes(f.id)).map((f) => resourceOf(f.id)));
    throw new ApplyError(result.failed[0].error, byId.get(resourceOf(result.failed[0].id))!,
      appliedIds.filter((id) => !failedIds.has(id)).map(finished),
      changes.filter((c) => !applied.has(c.resource.id) && !failedIds.has(c.resource.id)).map((c) => c.resource));
  }
  return appliedIds.map(finished);
}

/** Deletes every owned resource after everything that depends on it, independent ones at once. */
export async function destroy(resources: Resource[], observed: Observation, ctx: Context): Promise<ResourceReport[]> {
  const dependents = new Map<string, string[]>(resources.map((r) => [r.id, []]));
  for (const r of resources) for (const d of r.dependsOn) dependents.get(d)?.push(r.id);
  const byId = new Map(resources.map((r) => [r.id, r]));
  const reports = new Map<string, ResourceReport>();
  const result = await runGraph(
    resources.map((r) => r.id),
    (id) => dependents.get(id)!,
    async (id) => {
      const resource = byId.get(id)!;
      const found = observed.get(id);
      if (!found) {
        reports.set(id, { kind: resource.kind, name: resource.name, action: 'absent' });
        return;
      }
      if (!found.owned) {
        reports.set(id, { kind: resource.kind, name: resource.name, id: found.id, action: 'skipped' });
        ctx.reporter.warn(`left ${resource.kind} ${resource.name} (${found.id}) untouched: it does not carry the tag of stack ${ctx.spec.name}`);
        return;
      }
      ctx.reporter.resource({ kind: resource.kind, name: resource.name, action: 'delete', phase: 'start' });
      await resource.delete(ctx, found.state);
      reports.set(id, { kind: resource.kind, name: resource.name, id: found.id, action: 'delete' });
      ctx.reporter.resource({ kind: resource.kind, name: resource.name, id: found.id, action: 'delete', phase: 'done' });
    },
    ctx.signal,
  );
  const ordered = resources.map((r) => r.id).filter((id) => reports.has(id)).map((id) => reports.get(id)!);
  if (result.failed.length > 0) {
    const failedIds = new Set(result.failed.map((f) => f.id));
    throw new ApplyError(result.failed[0].error, byId.get(result.failed[0].id)!, ordered,
      resources.filter((r) => !reports.has(r.id) && !failedIds.has(r.id)));
  }
  return ordered;
}

/** A run that stopped part-way: what failed, what was done, and what was left. */
export class ApplyError extends CliError {
  constructor(
    readonly cause: unknown,
    readonly resource: Resource,
    readonly completed: ResourceReport[],
    readonly notStarted: Resource[],
  ) {
    super(
      cause instanceof CliError && cause.exitCode !== ExitCode.failed
        ? cause.message
        : `${resource.kind} ${resource.name}: ${describeError(cause)}`,
      cause instanceof CliError ? cause.code : 'FAILED',
    );
    this.name = 'ApplyError';
  }
}

function throwFirstFailure(failed: { id: string; error: unknown }[], byId: Map<string, Resource>, doing: string): void {
  if (failed.length === 0) return;
  const { id, error } = failed[0];
  if (error instanceof CliError) throw error;
  const r = byId.get(id)!;
  throw new CliError(`${doing} ${r.kind} ${r.name}: ${describeError(error)}`);
}
