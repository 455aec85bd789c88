import { InterruptedError } from '../errors.js';

export interface GraphFailure<N = string> {
  id: N;
  error: unknown;
}

export interface GraphResult<N = string> {
  done: N[];
  failed: GraphFailure<N>[];
  /** Not started because something failed first or the run was interrupted. */
  skipped: N[];
}

/**
 * Runs `work` for every node once all nodes it waits for are done, as many at once as the graph
 * allows. On the first failure (or an abort) it starts nothing new, lets running work finish, and
 * reports what was done, what failed and what was never started. Nodes are compared by identity;
 * `label` names them in a cycle's error.
 */
export async function runGraph<N>(
  ids: N[],
  waitsFor: (id: N) => N[],
  work: (id: N) => Promise<void>,
  signal?: AbortSignal,
  label: (id: N) => string = String,
): Promise<GraphResult<N>> {
  const known = new Set(ids);
  const deps = new Map(ids.map((id) => [id, new Set(waitsFor(id).filter((d) => known.has(d)))]));
  assertAcyclic(ids, (id) => [...deps.get(id)!], label);
  // Of the nodes ready together, those heading the longest chains start first: when calls queue (an
  // endpoint's rate limit, a busy server), the chain that decides when the run ends goes out first.
  const chain = chainLengths(ids, deps);
  const pending = new Map([...ids].sort((a, b) => chain.get(b)! - chain.get(a)!).map((id) => [id, deps.get(id)!]));
  const done: N[] = [];
  const failed: GraphFailure<N>[] = [];
  const running = new Map<N, Promise<void>>();
  let stopping = false;

  const startReady = () => {
    if (stopping || signal?.aborted) return;
    for (const [id, deps] of pending) {
      if (deps.size > 0) continue;
      pending.delete(id);
      const p = work(id).then(
        () => {
          done.push(id);
          for (const deps2 of pending.values()) deps2.delete(id);
        },
        (error) => {
          failed.push({ id, error });
          stopping = true;
        },
      ).finally(() => running.delete(id));
      running.set(id, p);
    }
  };

  startReady();
  while (running.size > 0) {
    await Promise.race(running.values());
    startReady();
  }
  const skipped = [...pending.keys()];
  if (signal?.aborted && failed.length === 0 && skipped.length > 0) {
    failed.push({ id: skipped[0], error: new InterruptedError() });
  }
  return { done, failed, skipped };
}

function assertAcyclic<N>(ids: N[], deps: (id: N) => N[], label: (id: N) => string): void {
  const state = new Map<N, 'visiting' | 'done'>();
  const visit = (id: N, path: N[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new Error(`dependency cycle: ${[...path, id].map(label).join(' -> ')}`);
    state.set(id, 'visiting');
    for (const d of deps(id)) visit(d, [...path, id]);
    state.set(id, 'done');
  };
  for (const id of ids) visit(id, []);
}

/** For each node, the number of nodes on the longest chain that starts with it (itself included). */
function chainLengths<N>(ids: N[], deps: Map<N, Set<N>>): Map<N, number> {
  const waiters = new Map(ids.map((id) => [id, [] as N[]]));
  for (const [id, ds] of deps) for (const d of ds) waiters.get(d)!.push(id);
  const length = new Map<N, number>();
  const of = (id: N): number => {
    if (!length.has(id)) length.set(id, 1 + Math.max(0, ...waiters.get(id)!.map(of)));
    return length.get(id)!;
  };
  for (const id of ids) of(id);
  return length;
}
