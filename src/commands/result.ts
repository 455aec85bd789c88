import type { AwsClients } from '../aws/clients.js';
import { ExitCode } from '../errors.js';

/** The AWS calls a run made, as `up --json` and `destroy --json` report them. */
export interface AwsSummary {
  calls: number;
  mutatingCalls: number;
  retries: number;
}

export function awsSummary(aws: AwsClients): AwsSummary {
  const { calls, mutatingCalls, retries } = aws.stats.summary();
  return { calls, mutatingCalls, retries };
}

/** A result's error is thrown (for the CLI to report) once the result is shown; else the exit code. */
export function settle(result: { error?: unknown }, code: number = ExitCode.ok): number {
  if (result.error) throw result.error;
  return code;
}
