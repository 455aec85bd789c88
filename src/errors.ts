// Every failure the CLI reports on purpose carries its exit code; anything else is a bug (exit 1).
export const ExitCode = {
  ok: 0,
  failed: 1,
  invalidInput: 2,
  unhealthy: 3,
  notFound: 4,
  interrupted: 130,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad flag value or usage: one line naming the flag and the fix, exit 2, before any AWS call. */
export class InputError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.invalidInput);
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
    );
    this.name = 'ForeignResourceError';
  }
}

export class InterruptedError extends CliError {
  constructor() {
    super('interrupted', ExitCode.interrupted);
    this.name = 'InterruptedError';
  }
}
