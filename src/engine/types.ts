// The engine's vocabulary. It knows resources only as typed nodes with a lifecycle: nothing here is
// about AWS (the AWS context and resources live in src/resources/, the stack's graph in src/stack/).

export type UpAction = 'create' | 'update' | 'unchanged';
export type DestroyAction = 'delete' | 'absent' | 'skipped';

/** What observe found: the resource's current state and whether it belongs to this stack. */
export interface Observed<S> {
  state: S;
  owned: boolean;
  /** The identifier shown to users (ARN, id, or name). */
  id: string;
}

export interface Health {
  healthy: boolean;
  /** A short word or phrase: ACTIVE, active, 3/3 running, … */
  state: string;
  detail?: Record<string, unknown>;
}

/** A resource starting or finishing a step, as the engine reports it. */
export interface ResourceEvent {
  kind: string;
  name: string;
  id?: string;
  action: UpAction | DestroyAction;
  phase: 'start' | 'done';
  differences?: string[];
}

/** What the engine tells the user: steps and warnings (a UI's reporter has more). */
export interface EngineReporter {
  resource(event: ResourceEvent): void;
  warn(text: string): void;
}

/** The states the engine has observed or applied, by resource (object identity). Read through a resource's state/peek. */
export type States = Map<object, unknown>;

/**
 * What every engine run needs; a caller's context (`Ctx` of its resources) extends it with what its
 * resources need (clients, options).
 */
export interface EngineContext {
  states: States;
  reporter: EngineReporter;
  signal: AbortSignal;
  /** One line for what a step threw; the caller knows its errors (default: the error's message). */
  describeError?(err: unknown): string;
  /** Why destroy leaves a resource it found but does not own (default: "it does not belong to this stack"). */
  notOwnedReason?(): string;
}

/**
 * One resource of a graph, and a typed reference to it. Dependencies are other resources (object
 * identity); `key` names it in the engine's messages, reports and benchmarks only.
 */
export interface Resource<S = any, Ctx extends EngineContext = any> {
  /** A stable name for messages and reports (`workspace`, `service:app`); never used to look a resource up. */
  key: string;
  kind: string;
  name: string;
  dependsOn: Resource[];
  /**
   * Those of `dependsOn` this resource needs only created (their ARN, id or DNS name), not settled:
   * it starts as soon as they exist, while they still become ACTIVE or active. Create order only.
   */
  needsCreated?: Resource[];
  /**
   * Those of `dependsOn` that destroy may delete without waiting for this resource to be deleted
   * first (deleting them takes it along, or it does not hold them). Delete order only.
   */
  deletedAlongside?: Resource[];
  /**
   * Absent by choice of the options (a listener rule that --public-metrics turns off): status shows
   * it as none, not missing. Its observe returns a state meaning "none" when up's options want none.
   */
  optional?: boolean;
  /**
   * The resources whose observed state `observe` reads (an ARN it cannot look up by name).
   * observeAll waits only for these, so independent lookups go out at once; defaults to dependsOn.
   */
  observeAfter?: Resource[];
  /** Finds the resource by name; undefined when absent. Read-only. */
  observe(ctx: Ctx): Promise<Observed<S> | undefined>;
  /** Human-readable differences between the desired and the observed state; [] when equal. Read-only. */
  diff(ctx: Ctx, state: S): Promise<string[]>;
  create(ctx: Ctx): Promise<S>;
  update(ctx: Ctx, state: S, differences: string[]): Promise<S>;
  delete(ctx: Ctx, state: S): Promise<void>;
  /** Waits (bounded) until the resource is usable (ACTIVE, active, steady). */
  settle?(ctx: Ctx, state: S): Promise<S>;
  /** For status: is it healthy, and what to show. Read-only. */
  health?(ctx: Ctx, state: S): Promise<Health>;
  /** The identifier to show for a state (ARN, id, name). */
  identify(state: S): string;
  /** Its state, once observed (owned) or applied in this run; an internal error before. */
  state(ctx: EngineContext): S;
  /** Its state once known, else undefined (status, destroy: it may not exist). */
  peek(ctx: EngineContext): S | undefined;
}

/** A resource as its module defines it: the engine adds the typed accessors. */
export type ResourceDefinition<S, Ctx extends EngineContext> = Omit<Resource<S, Ctx>, 'state' | 'peek'>;

/** Makes a definition a resource: `state`/`peek` read the engine's states by this object. */
export function defineResource<S, Ctx extends EngineContext>(definition: ResourceDefinition<S, Ctx>): Resource<S, Ctx> {
  return Object.assign(definition, {
    peek(this: Resource<S, Ctx>, ctx: EngineContext): S | undefined {
      return ctx.states.get(this) as S | undefined;
    },
    state(this: Resource<S, Ctx>, ctx: EngineContext): S {
      const s = this.peek(ctx);
      if (s === undefined) throw new Error(`internal: ${this.key} has no state yet`);
      return s;
    },
  });
}

/** Records a state the engine (or a caller observing one resource by hand) now knows. */
export function remember<S>(ctx: EngineContext, resource: Resource<S>, state: S): void {
  ctx.states.set(resource, state);
}

export interface ResourceReport {
  kind: string;
  name: string;
  id?: string;
  action?: UpAction | DestroyAction;
  state?: string;
  differences?: string[];
  healthy?: boolean;
  detail?: Record<string, unknown>;
}
