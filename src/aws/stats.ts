/** Counts AWS calls per action, which of them mutate, and how many retries the SDK made. */
export interface CallSummary {
  calls: number;
  mutatingCalls: number;
  retries: number;
  byAction: Record<string, number>;
}

const READ_ONLY = /^(Describe|List|Get|BatchGet|Search|Lookup|Filter)/;

export function isMutatingAction(action: string): boolean {
  return !READ_ONLY.test(action);
}

export class CallStats {
  private calls = 0;
  private mutating = 0;
  private attempts = 0;
  private readonly byAction: Record<string, number> = {};

  instrument(service: string, client: { middlewareStack: { add: Function } }): void {
    // initialize runs once per API call; deserialize runs once per attempt (inside the retry loop).
    client.middlewareStack.add(
      (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        const action = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        this.calls++;
        if (isMutatingAction(action)) this.mutating++;
        const key = `${service}:${action}`;
        this.byAction[key] = (this.byAction[key] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name: 'fargatePromCallCounter' },
    );
    client.middlewareStack.add(
      (next: (a: unknown) => Promise<unknown>) => async (args: unknown) => {
        this.attempts++;
        return next(args);
      },
      { step: 'deserialize', name: 'fargatePromAttemptCounter' },
    );
  }

  summary(): CallSummary {
    return {
      calls: this.calls,
      mutatingCalls: this.mutating,
      retries: Math.max(0, this.attempts - this.calls),
      byAction: { ...this.byAction },
    };
  }
}
