import type { ResourceEvent } from '../engine/types.js';

export type { ResourceEvent };

/** One row of the live ECS rollout table. */
export interface ServiceRow {
  service: string;
  desired: number;
  running: number;
  pending: number;
  rollout: string;
  targets?: string;
  failure?: string;
}

/**
 * How progress reaches the user. Commands and resources emit events; the TTY, plain and JSON
 * reporters decide how (or whether) to show them. Progress always goes to stderr so stdout
 * carries only the result.
 */
export interface Reporter {
  phase(text: string): void;
  resource(event: ResourceEvent): void;
  /** A bounded wait in progress; `key` groups updates of the same wait. */
  waiting(key: string, text: string): void;
  /** The latest state of one ECS service while waiting for it (the live rollout table). */
  service(row: ServiceRow): void;
  info(text: string): void;
  warn(text: string): void;
  /** A block of lines (a plan) shown as it is, between the progress lines. */
  block(text: string): void;
  /** A line redrawn in place (a load run's counters); only a terminal shows it. */
  live?(text: string): void;
  stop(): void;
}

export const silentReporter: Reporter = {
  phase() {},
  resource() {},
  waiting() {},
  service() {},
  info() {},
  warn() {},
  block() {},
  stop() {},
};
