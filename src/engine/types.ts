import type { AwsClients } from '../aws/clients.js';
import type { Reporter } from '../ui/reporter.js';
import type { StackSpec } from '../stack/spec.js';

export type UpAction = 'create' | 'update' | 'unchanged';
export type DestroyAction = 'delete' | 'absent' | 'skipped';

/** What observe found: the resource's current state and whether it carries this stack's tag. */
export interface Observed<S> {
  state: S;
  owned: boolean;
  /** The AWS identifier shown to users (ARN, id, or name). */
  id: string;
}

export interface Health {
  healthy: boolean;
  /** A short word or phrase: ACTIVE, active, 3/3 running, … */
  state: string;
  detail?: Record<string, unknown>;
}

export interface Context {
  aws: AwsClients;
  spec: StackSpec;
  /** States of resources already observed or applied, by resource id. */
  states: Map<string, unknown>;
  reporter: Reporter;
  signal: AbortSignal;
  /** false with --no-wait: apply changes but do not wait for services to become healthy. */
  wait: boolean;
}

/**
 * One AWS resource of the stack. Each kind lives in its own module under src/resources/ and knows
 * how to find itself by its deterministic name, compare itself to what the options ask for, and
 * create, update or delete itself.
 */
export interface Resource<S = any> {
  id: string;
  kind: string;
  name: string;
  dependsOn: string[];
  /**
   * Those of `dependsOn` this resource needs only created (their ARN, id or DNS name), not settled:
   * it starts as soon as they exist, while they still become ACTIVE or active. Create order only.
   */
  needsCreated?: string[];
  /**
   * Absent by choice of the options (a listener rule that --public-metrics turns off): status shows
   * it as none, not missing. Its observe returns a state meaning "none" when up's options want none.
   */
  optional?: boolean;
  /**
   * The resources whose observed state `observe` reads from ctx.states (an ARN it cannot look up by
   * name). observeAll waits only for these, so independent lookups go out at once; defaults to
   * dependsOn.
   */
  observeAfter?: string[];
  /** Finds the resource by name; undefined when absent. Read-only. */
  observe(ctx: Context): Promise<Observed<S> | undefined>;
  /** Human-readable differences between the desired and the observed state; [] when equal. Read-only. */
  diff(ctx: Context, state: S): Promise<string[]>;
  create(ctx: Context): Promise<S>;
  update(ctx: Context, state: S, differences: string[]): Promise<S>;
  delete(ctx: Context, state: S): Promise<void>;
  /** Waits (bounded) until the resource is usable: AMP ACTIVE, ALB active, services steady. */
  settle?(ctx: Context, state: S): Promise<S>;
  /** For status: is it healthy, and what to show. Read-only. */
  health?(ctx: Context, state: S): Promise<Health>;
  /** The identifier to show for a state (ARN, id, name). */
  identify(state: S): string;
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
