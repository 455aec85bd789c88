import type { AwsClients } from '../aws/clients.js';
import { describeError } from '../aws/errors.js';
import {
  defineResource,
  type EngineContext,
  type Resource as EngineResource,
  type ResourceDefinition,
} from '../engine/types.js';
import type { StackSpec } from '../stack/spec.js';
import type { Reporter } from '../ui/reporter.js';

/** What the stack's AWS resources work with: the engine's context plus clients, the spec and the UI. */
export interface Context extends EngineContext {
  aws: AwsClients;
  spec: StackSpec;
  reporter: Reporter;
  /** false with --no-wait: apply changes but do not wait for services to become healthy. */
  wait: boolean;
}

/**
 * One AWS resource of the stack. Each kind lives in its own module under src/resources/ and knows
 * how to find itself by its deterministic name, compare itself to what the options ask for, and
 * create, update or delete itself. It is also the typed reference its dependents read it through.
 */
export type Resource<S = any> = EngineResource<S, Context>;

export const resource = <S>(definition: ResourceDefinition<S, Context>): Resource<S> => defineResource(definition);

/** A fresh context for one engine run: AWS's errors described for users, ownership by the stack's tag. */
export function newContext(fields: Omit<Context, 'states' | 'describeError' | 'notOwnedReason'>): Context {
  return {
    ...fields,
    states: new Map(),
    describeError,
    notOwnedReason: () => `it does not carry the tag of stack ${fields.spec.name}`,
  };
}
