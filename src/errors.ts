import { formatDuration } from './util/time.js';

// Every failure the CLI reports on purpose carries its exit code; anything else is a bug (exit 1).
export const ExitCode = {
  ok: 0,
  failed: 1,
  invalidInput: 2,
  unhealthy: 3,
  notFound: 4,
  interrupted: 130,
} as const;

/**
 * What kind of failure a CliError is. Code branches on this (or on the class), never on the message,
 * which is written for the user and free to change.
 */
export type ErrorCode =
  | 'FAILED'
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'INTERRUPTED'
  | 'FOREIGN_RESOURCE'
  /** A bounded wait (pollUntil, a service becoming steady) ran out. */
  | 'TIMEOUT'
  /** retryWhile's budget ran out while AWS still refused for a reason time usually fixes. */
  | 'RETRIES_EXHAUSTED'
  /** Grafana's HTTP API refused, or could not be reached. */
  | 'GRAFANA';

const EXIT_CODES: Record<ErrorCode, number> = {
  FAILED: ExitCode.failed,
  INVALID_INPUT: ExitCode.invalidInput,
  NOT_FOUND: ExitCode.notFound,
  INTERRUPTED: ExitCode.interrupted,
  FOREIGN_RESOURCE: ExitCode.failed,
  TIMEOUT: ExitCode.failed,
  RETRIES_EXHAUSTED: ExitCode.failed,
  GRAFANA: ExitCode.failed,
};

export class CliError extends Error {
  /** The process exit code, derived from `code`. */
  readonly exitCode: number;

  constructor(
    message: string,
    readonly code: ErrorCode = 'FAILED',
  ) {
    super(message);
    this.name = 'CliError';
    this.exitCode = EXIT_CODES[code];
  }
}

/** Bad flag value or usage: one line naming the flag and the fix, exit 2, before any AWS call. */
export class InputError extends CliError {
  constructor(message: string) {
    super(message, 'INVALID_INPUT');
    this.name = 'InputError';
  }
}

/** A resource with one of the stack's names exists but does not carry the stack's tag. */
export class ForeignResourceError extends CliError {
  constructor(readonly resources: { kind: string; name: string; id?: string }[]) {
    super(
      `refusing to touch ${resources.length === 1 ? 'a resource' : `${resources.length} resources`} not owned by this stack: ` +
        resources.map((r) => `${r.kind} ${r.name}${r.id && r.id !== r.name ? ` (${r.id})` : ''}`).join(', ') +
        '. Choose another --name, or delete or rename them yourself.',
      'FOREIGN_RESOURCE',
    );
    this.name = 'ForeignResourceError';
  }
}

export class InterruptedError extends CliError {
  constructor() {
    super('interrupted', 'INTERRUPTED');
    this.name = 'InterruptedError';
  }
}

/** A bounded wait ran out: what it waited for, for how long (real-world time), and what it last saw. */
export class TimeoutError extends CliError {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    detail = '',
  ) {
    super(`timed out after ${formatDuration(timeoutMs)} waiting for ${what}${detail}`, 'TIMEOUT');
    this.name = 'TimeoutError';
  }
}
