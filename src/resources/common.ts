import { ForeignResourceError } from '../errors.js';
import { hasErrorName } from '../aws/errors.js';
import type { Observed } from '../engine/types.js';
import type { Context, Resource } from './context.js';

/**
 * Creates a resource; when AWS says it already exists (a retried call whose first attempt went
 * through, or a concurrent run), adopts it if it carries the stack's tag and refuses otherwise.
 */
export async function createOrAdopt<S>(
  resource: Pick<Resource<S>, 'kind' | 'name' | 'observe'>,
  ctx: Context,
  create: () => Promise<S>,
  alreadyExists: string[],
): Promise<S> {
  try {
    return await create();
  } catch (err) {
    if (!hasErrorName(err, ...alreadyExists)) throw err;
    const found = await resource.observe(ctx);
    if (!found) throw err;
    if (!found.owned) throw new ForeignResourceError([{ kind: resource.kind, name: resource.name, id: found.id }]);
    return found.state;
  }
}

/** Deletes, treating "already gone" as done: destroy must be safe to run again after an interruption. */
export async function deleteIgnoringMissing(del: () => Promise<unknown>, ...notFound: string[]): Promise<void> {
  try {
    await del();
  } catch (err) {
    if (!hasErrorName(err, ...notFound)) throw err;
  }
}

export function observed<S>(state: S, owned: boolean, id: string): Observed<S> {
  return { state, owned, id };
}

/** `a → b` difference lines for scalar fields that differ. */
export function fieldDiffs(pairs: [label: string, actual: unknown, desired: unknown][]): string[] {
  return pairs
    .filter(([, a, d]) => JSON.stringify(a ?? null) !== JSON.stringify(d ?? null))
    .map(([label, a, d]) => `${label}: ${show(a)} → ${show(d)}`);
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '(none)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * `resource` may start once `created` (among its dependencies) exist, without waiting for them to settle:
 * it needs only their identifiers (ARN, id, DNS name), so, say, IAM propagates a task role while AMP
 * creates the workspace.
 */
export function onceCreated<R extends Resource>(resource: R, created: Resource[]): R {
  return Object.assign(resource, { needsCreated: created });
}

/**
 * Destroy may delete `alongside` (among `resource`'s dependencies) while `resource` is still there:
 * a load balancer's deletion takes its listeners and rules with it, so it need not wait for them.
 */
export function deletedAlongside<R extends Resource>(resource: R, alongside: Resource[]): R {
  return Object.assign(resource, { deletedAlongside: alongside });
}
