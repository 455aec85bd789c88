import { describe, expect, it } from 'vitest';
import { runGraph } from '../src/engine/graph.js';
import { apply, ApplyError, destroy, observeAll, plan } from '../src/engine/engine.js';
import { defineResource, type EngineContext, type Resource } from '../src/engine/types.js';
import { silentReporter } from '../src/ui/reporter.js';
import { ForeignResourceError } from '../src/errors.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('runGraph', () => {
  it('waits for dependencies and runs independent nodes at the same time', async () => {
    const deps: Record<string, string[]> = { a: [], b: [], c: ['a', 'b'], d: ['c'] };
    const log: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const result = await runGraph(Object.keys(deps), (id) => deps[id], async (id) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      log.push(`start ${id}`);
      await tick();
      log.push(`end ${id}`);
      inFlight--;
    });
    expect(result.failed).toEqual([]);
    expect(maxInFlight).toBe(2);
    expect(log.indexOf('start c')).toBeGreaterThan(log.indexOf('end a'));
    expect(log.indexOf('start c')).toBeGreaterThan(log.indexOf('end b'));
    expect(log.indexOf('start d')).toBeGreaterThan(log.indexOf('end c'));
  });

  it('starts nothing new after a failure, lets running work finish, and reports what was skipped', async () => {
    const deps: Record<string, string[]> = { a: [], slow: [], b: ['a'], c: ['b'] };
    const finished: string[] = [];
    const result = await runGraph(Object.keys(deps), (id) => deps[id], async (id) => {
      if (id === 'a') throw new Error('boom');
      await tick();
      finished.push(id);
    });
    expect(result.failed.map((f) => f.id)).toEqual(['a']);
    expect(finished).toEqual(['slow']);
    expect(result.skipped.sort()).toEqual(['b', 'c']);
  });

  it('of the nodes ready together, starts those heading the longest chains first', async () => {
    // Listed shortest chain first: alone, `solo`; then `x` → `y`; then `a` → `b` → `c`.
    const deps: Record<string, string[]> = { solo: [], x: [], y: ['x'], a: [], b: ['a'], c: ['b'] };
    const started: string[] = [];
    await runGraph(Object.keys(deps), (id) => deps[id], async (id) => { started.push(id); });
    expect(started.slice(0, 3)).toEqual(['a', 'x', 'solo']);
  });

  it('refuses a cycle', async () => {
    await expect(runGraph(['a', 'b'], (id) => (id === 'a' ? ['b'] : ['a']), async () => {})).rejects.toThrow(/dependency cycle/);
  });

  it('stops starting work when aborted (Ctrl-C)', async () => {
    const controller = new AbortController();
    const started: string[] = [];
    const result = await runGraph(['a', 'b'], (id) => (id === 'b' ? ['a'] : []), async (id) => {
      started.push(id);
      controller.abort();
    }, controller.signal);
    expect(started).toEqual(['a']);
    expect(result.skipped).toEqual(['b']);
    expect(result.failed[0].error).toMatchObject({ code: 'INTERRUPTED', exitCode: 130 });
  });
});

/** An in-memory resource kind, to test the engine's ordering, not AWS. */
function fake(world: Map<string, { owned: boolean; value: number }>, events: string[], id: string, dependsOn: Resource[], want: number, more: Partial<Resource<number>> = {}): Resource<number> {
  return defineResource<number, EngineContext>({
    key: id,
    kind: 'fake',
    name: id,
    dependsOn,
    async observe() {
      const found = world.get(id);
      return found ? { state: found.value, owned: found.owned, id } : undefined;
    },
    async diff(_ctx, state) {
      return state === want ? [] : [`value: ${state} → ${want}`];
    },
    async create() {
      await tick();
      events.push(`create ${id}`);
      world.set(id, { owned: true, value: want });
      return want;
    },
    async update() {
      events.push(`update ${id}`);
      world.set(id, { owned: true, value: want });
      return want;
    },
    async delete() {
      await tick();
      events.push(`delete ${id}`);
      world.delete(id);
    },
    identify: (s) => `${id}=${s}`,
    ...more,
  });
}

// The engine needs no AWS: its context is only states, a reporter and a signal.
const ctx = (): EngineContext => ({
  states: new Map(),
  reporter: silentReporter,
  signal: new AbortController().signal,
});

describe('observe, plan, apply, destroy', () => {
  it('creates in dependency order, then a second run is all unchanged, and destroy runs backwards', async () => {
    const world = new Map<string, { owned: boolean; value: number }>();
    const events: string[] = [];
    const net = fake(world, events, 'net', [], 1);
    const lb = fake(world, events, 'lb', [net], 1);
    const resources = [net, lb, fake(world, events, 'svc', [lb, net], 1)];
    let c = ctx();
    let observed = await observeAll(resources, c);
    const first = await apply(await plan(resources, observed, c), observed, c);
    expect(first.map((r) => r.action)).toEqual(['create', 'create', 'create']);
    expect(events).toEqual(['create net', 'create lb', 'create svc']);

    c = ctx();
    observed = await observeAll(resources, c);
    expect((await plan(resources, observed, c)).map((p) => p.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);

    events.length = 0;
    c = ctx();
    observed = await observeAll(resources, c);
    await destroy(resources, observed, c);
    expect(events).toEqual(['delete svc', 'delete lb', 'delete net']);
    expect(world.size).toBe(0);
  });

  it('destroy deletes a dependency marked deletedAlongside without waiting for its dependent; create order is unchanged', async () => {
    const world = new Map<string, { owned: boolean; value: number }>();
    const events: string[] = [];
    const lb = fake(world, events, 'lb', [], 1);
    // The listener needs the lb created first, but deleting the lb takes the listener along.
    const listener = fake(world, events, 'listener', [lb], 1, { deletedAlongside: [lb], delete: async () => { await tick(); await tick(); events.push('delete listener'); world.delete('listener'); } });
    const resources = [lb, listener];
    let c = ctx();
    let observed = await observeAll(resources, c);
    await apply(await plan(resources, observed, c), observed, c);
    expect(events).toEqual(['create lb', 'create listener']);
    events.length = 0;
    c = ctx();
    observed = await observeAll(resources, c);
    await destroy(resources, observed, c);
    // Both start at once: the lb (one tick) is gone before the listener (two ticks).
    expect(events).toEqual(['delete lb', 'delete listener']);
  });

  it('a dependent reads its dependency\'s state through the reference, typed, once the engine has it', async () => {
    const world = new Map<string, { owned: boolean; value: number }>();
    const events: string[] = [];
    const net = fake(world, events, 'net', [], 7);
    const seen: number[] = [];
    const lb = fake(world, events, 'lb', [net], 1, {
      async create(c) {
        seen.push(net.state(c) + 1);
        return 1;
      },
    });
    const c = ctx();
    expect(net.peek(c)).toBeUndefined();
    expect(() => net.state(c)).toThrow(/net has no state yet/);
    const observed = await observeAll([net, lb], c);
    await apply(await plan([net, lb], observed, c), observed, c);
    expect(seen).toEqual([8]);
    expect(lb.state(c)).toBe(1);
  });

  it('updates only what differs', async () => {
    const world = new Map([['a', { owned: true, value: 1 }], ['b', { owned: true, value: 1 }]]);
    const events: string[] = [];
    const a = fake(world, events, 'a', [], 1);
    const resources = [a, fake(world, events, 'b', [a], 2)];
    const c = ctx();
    const observed = await observeAll(resources, c);
    const changes = await plan(resources, observed, c);
    expect(changes.map((p) => [p.action, p.differences])).toEqual([['unchanged', []], ['update', ['value: 1 → 2']]]);
    await apply(changes, observed, c);
    expect(events).toEqual(['update b']);
  });

  it('plans nothing when a resource is foreign, and destroy skips it', async () => {
    const world = new Map([['a', { owned: false, value: 1 }], ['b', { owned: true, value: 1 }]]);
    const events: string[] = [];
    const a = fake(world, events, 'a', [], 1);
    const resources = [a, fake(world, events, 'b', [a], 1)];
    const c = ctx();
    const observed = await observeAll(resources, c);
    await expect(plan(resources, observed, c)).rejects.toBeInstanceOf(ForeignResourceError);
    const reports = await destroy(resources, observed, c);
    expect(reports.map((r) => `${r.action} ${r.name}`)).toEqual(['skipped a', 'delete b']);
    expect(world.has('a')).toBe(true);
  });

  /** A workspace-like resource that takes a while to settle, or never does. */
  const settling = (world: Map<string, { owned: boolean; value: number }>, events: string[], fails = false, more: Partial<Resource<number>> = {}): Resource<number> => fake(world, events, 'ws', [], 1, {
    async settle(_ctx, state) {
      events.push('settling ws');
      await tick();
      await tick();
      if (fails) throw new Error('still CREATING');
      events.push('settled ws');
      return state;
    },
    ...more,
  });

  it('a dependent that needs a resource only created starts while it settles; the others wait for the settle', async () => {
    const world = new Map<string, { owned: boolean; value: number }>();
    const events: string[] = [];
    const ws = settling(world, events);
    const resources = [ws, fake(world, events, 'role', [ws], 1, { needsCreated: [ws] }), fake(world, events, 'svc', [ws], 1)];
    const c = ctx();
    const observed = await observeAll(resources, c);
    const reports = await apply(await plan(resources, observed, c), observed, c);
    expect(events.indexOf('create role')).toBeGreaterThan(events.indexOf('create ws'));
    expect(events.indexOf('create role')).toBeLessThan(events.indexOf('settled ws'));
    expect(events.indexOf('create svc')).toBeGreaterThan(events.indexOf('settled ws'));
    expect(reports.map((r) => `${r.action} ${r.id}`)).toEqual(['create ws=1', 'create role=1', 'create svc=1']);
  });

  it('when a settle fails: that resource is the failure, what was created meanwhile is done, its other dependents never start', async () => {
    const world = new Map<string, { owned: boolean; value: number }>();
    const events: string[] = [];
    const ws = settling(world, events, true);
    const resources = [ws, fake(world, events, 'role', [ws], 1, { needsCreated: [ws] }), fake(world, events, 'svc', [ws], 1)];
    const c = ctx();
    const observed = await observeAll(resources, c);
    const err = await apply(await plan(resources, observed, c), observed, c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyError);
    const failure = err as ApplyError;
    expect(failure.resource).toBe(ws);
    expect(failure.message).toMatch(/still CREATING/);
    expect(failure.completed.map((r) => `${r.action} ${r.name}`)).toEqual(['create role']);
    expect(failure.notStarted.map((r) => r.key)).toEqual(['svc']);
    expect(events).not.toContain('create svc');
  });

  it('Ctrl-C between a create and its settle: the created resource is reported done, the rest not started', async () => {
    const world = new Map<string, { owned: boolean; value: number }>();
    const events: string[] = [];
    const controller = new AbortController();
    const first = settling(world, events, false, {
      async create() {
        world.set('ws', { owned: true, value: 1 });
        controller.abort(); // Ctrl-C while CreateWorkspace is answered
        return 1;
      },
    });
    const resources = [first, fake(world, events, 'svc', [first], 1)];
    const c = { ...ctx(), signal: controller.signal };
    const observed = await observeAll(resources, c);
    const err = (await apply(await plan(resources, observed, c), observed, c).catch((e: unknown) => e)) as ApplyError;
    expect(err).toBeInstanceOf(ApplyError);
    expect(err.code).toBe('INTERRUPTED');
    expect(err.exitCode).toBe(130);
    expect(err.completed.map((r) => `${r.action} ${r.name}`)).toEqual(['create ws']);
    expect(err.notStarted.map((r) => r.key)).toEqual(['svc']);
    expect(events).not.toContain('settling ws');
  });
});
