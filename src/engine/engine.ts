import { CliError, ExitCode, ForeignResourceError } from '../errors.js';
import { runGraph } from './graph.js';
import { remember, type EngineContext, type Observed, type Resource, type ResourceReport, type UpAction } from './types.js';

export type Observation = Map<Resource, Observed<unknown> | undefined>;

export interface PlannedChange {
  resource: Resource;
  action: UpAction;
  differences: string[];
}

const label = (r: Resource) => r.key;
const describe = (ctx: EngineContext, err: unknown) =>
  ctx.describeError ? ctx.describeError(err) : err instanceof Error ? err.message : String(err);

/**
 * Observes every resource, each once the resources whose state its lookup reads have been observed
 * (`observeAfter`, by default `dependsOn`); everything else at once.
 */
export async function observeAll<Ctx extends EngineContext>(resources: Resource<unknown, Ctx>[], ctx: Ctx): Promise<Observation> {
  const observed: Observation = new Map();
  const result = await runGraph(
    resources,
    (r) => r.observeAfter ?? r.dependsOn,
    async (r) => {
      const found = await r.observe(ctx);
      observed.set(r, found);
      if (found?.owned) remember(ctx, r, found.state);
    },
    ctx.signal,
    label,
  );
  throwFirstFailure(result.failed, 'observing', ctx);
  return observed;
}

/** Resources that exist under the stack's names without belonging to it. */
export function foreignResources(resources: Resource[], observed: Observation) {
  return resources
    .filter((r) => observed.get(r) && !observed.get(r)!.owned)
    .map((r) => ({ kind: r.kind, name: r.name, id: observed.get(r)!.id }));
}

export async function plan<Ctx extends EngineContext>(resources: Resource<unknown, Ctx>[], observed: Observation, ctx: Ctx): Promise<PlannedChange[]> {
  const foreign = foreignResources(resources, observed);
  if (foreign.length > 0) throw new ForeignResourceError(foreign);
  const creating = new Set(resources.filter((r) => !observed.get(r)));
  return Promise.all(
    resources.map(async (resource): Promise<PlannedChange> => {
      const found = observed.get(resource);
      if (!found) return { resource, action: 'create', differences: [] };
      const newDeps = resource.dependsOn.filter((d) => creating.has(d));
      if (newDeps.length > 0) {
        // Its desired state refers to resources that do not exist yet; apply compares again once they do.
        return { resource, action: 'update', differences: [`refers to new ${newDeps.map(label).join(', ')}`] };
      }
      const differences = await resource.diff(ctx, found.state);
      return { resource, action: differences.length ? 'update' : 'unchanged', differences };
    }),
  );
}

/** A resource's step in apply is two typed phases: create (or update), then settle (wait until usable). */
interface Phase {
  resource: Resource;
  phase: 'create' | 'settle';
}

/**
 * Applies the plan in dependency order, independent resources at once. Each resource is compared
 * again just before acting, with the final states of what it depends on. A dependent waits for a
 * resource's settle phase unless it needs the resource only created (`needsCreated`).
 */
export async function apply<Ctx extends EngineContext>(changes: PlannedChange[], observed: Observation, ctx: Ctx): Promise<ResourceReport[]> {
  const phases = new Map(changes.map((c): [Resource, { create: Phase; settle: Phase }] =>
    [c.resource, { create: { resource: c.resource, phase: 'create' }, settle: { resource: c.resource, phase: 'settle' } }]));
  // Created or updated (the resource exists as reported), then settled (the step is done).
  const applied = new Map<Resource, ResourceReport & { action: UpAction }>();
  const reports = new Map<Resource, ResourceReport>();

  const createOrUpdate = async (resource: Resource<unknown, Ctx>) => {
    const found = observed.get(resource);
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
    remember(ctx, resource, state);
    applied.set(resource, { kind: resource.kind, name: resource.name, id: resource.identify(state), action, differences });
  };

  const settle = async (resource: Resource<unknown, Ctx>) => {
    let state = resource.state(ctx);
    if (resource.settle) {
      state = await resource.settle(ctx, state);
      remember(ctx, resource, state);
    }
    const report = { ...applied.get(resource)!, id: resource.identify(state) };
    reports.set(resource, report);
    ctx.reporter.resource({ ...report, phase: 'done' });
  };

  const result = await runGraph(
    [...phases.values()].flatMap((p) => [p.create, p.settle]),
    ({ resource, phase }) => {
      if (phase === 'settle') return [phases.get(resource)!.create];
      return resource.dependsOn.filter((d) => phases.has(d))
        .map((d) => (resource.needsCreated?.includes(d) ? phases.get(d)!.create : phases.get(d)!.settle));
    },
    ({ resource, phase }) => (phase === 'settle' ? settle(resource) : createOrUpdate(resource)),
    ctx.signal,
    ({ resource, phase }) => (phase === 'settle' ? `${resource.key} (settled)` : resource.key),
  );
  // A resource created but not yet settled when the run stopped exists all the same: it counts as done.
  const appliedResources = changes.map((c) => c.resource).filter((r) => applied.has(r));
  const finished = (r: Resource) => reports.get(r) ?? applied.get(r)!;
  if (result.failed.length > 0) {
    // Only steps that ran and failed; an interrupt names a step that never started (see runGraph).
    const failed = new Set(result.failed.filter((f) => !result.skipped.includes(f.id)).map((f) => f.id.resource));
    throw new ApplyError(result.failed[0].error, result.failed[0].id.resource, describe(ctx, result.failed[0].error),
      appliedResources.filter((r) => !failed.has(r)).map(finished),
      changes.filter((c) => !applied.has(c.resource) && !failed.has(c.resource)).map((c) => c.resource));
  }
  return appliedResources.map(finished);
}

/**
 * What destroy deletes before each resource: its dependents, except those whose dependency may go
 * first (`deletedAlongside`). The benchmark's models replay the same order.
 */
export function deleteFirst<R extends Resource>(resources: R[]): Map<R, R[]> {
  const dependents = new Map<R, R[]>(resources.map((r) => [r, []]));
  for (const r of resources) {
    for (const d of r.dependsOn) if (!r.deletedAlongside?.includes(d)) dependents.get(d as R)?.push(r);
  }
  return dependents;
}

/** Deletes every owned resource after everything that depends on it, independent ones at once. */
export async function destroy<Ctx extends EngineContext>(resources: Resource<unknown, Ctx>[], observed: Observation, ctx: Ctx): Promise<ResourceReport[]> {
  const dependents = deleteFirst(resources);
  const reports = new Map<Resource, ResourceReport>();
  const result = await runGraph(
    resources,
    (r) => dependents.get(r)!,
    async (resource) => {
      const found = observed.get(resource);
      if (!found) {
        reports.set(resource, { kind: resource.kind, name: resource.name, action: 'absent' });
        return;
      }
      if (!found.owned) {
        reports.set(resource, { kind: resource.kind, name: resource.name, id: found.id, action: 'skipped' });
        const why = ctx.notOwnedReason ? ctx.notOwnedReason() : 'it does not belong to this stack';
        ctx.reporter.warn(`left ${resource.kind} ${resource.name} (${found.id}) untouched: ${why}`);
        return;
      }
      ctx.reporter.resource({ kind: resource.kind, name: resource.name, action: 'delete', phase: 'start' });
      await resource.delete(ctx, found.state);
      reports.set(resource, { kind: resource.kind, name: resource.name, id: found.id, action: 'delete' });
      ctx.reporter.resource({ kind: resource.kind, name: resource.name, id: found.id, action: 'delete', phase: 'done' });
    },
    ctx.signal,
    label,
  );
  const ordered = resources.filter((r) => reports.has(r)).map((r) => reports.get(r)!);
  if (result.failed.length > 0) {
    const failed = new Set<Resource>(result.failed.map((f) => f.id));
    throw new ApplyError(result.failed[0].error, result.failed[0].id, describe(ctx, result.failed[0].error), ordered,
      resources.filter((r) => !reports.has(r) && !failed.has(r)));
  }
  return ordered;
}

/** A run that stopped part-way: what failed, what was done, and what was left. */
export class ApplyError extends CliError {
  constructor(
    readonly cause: unknown,
    readonly resource: Resource,
    /** The cause in one line, as the context's describeError words it. */
    described: string,
    readonly completed: ResourceReport[],
    readonly notStarted: Resource[],
  ) {
    super(
      cause instanceof CliError && cause.exitCode !== ExitCode.failed
        ? cause.message
        : `${resource.kind} ${resource.name}: ${described}`,
      cause instanceof CliError ? cause.code : 'FAILED',
    );
    this.name = 'ApplyError';
  }
}

function throwFirstFailure(failed: { id: Resource; error: unknown }[], doing: string, ctx: EngineContext): void {
  if (failed.length === 0) return;
  const { id: r, error } = failed[0];
  if (error instanceof CliError) throw error;
  throw new CliError(`${doing} ${r.kind} ${r.name}: ${describe(ctx, error)}`);
}
