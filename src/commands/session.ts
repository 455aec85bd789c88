import { setMaxListeners } from 'node:events';
import { AwsClients } from '../aws/clients.js';
import { sdk } from '../aws/sdk.js';
import { describeError } from '../aws/errors.js';
import { checkRegion } from '../config/aws-environment.js';
import type { ConnectionOptions } from '../config/options.js';
import { CliError, ExitCode, InputError, InterruptedError } from '../errors.js';
import { newContext, type Context } from '../resources/context.js';
import type { StackSpec } from '../stack/spec.js';
import { processIo, type CommandIo } from '../ui/io.js';
import type { Reporter } from '../ui/reporter.js';

/** What every AWS-facing command shares: clients, reporter, and a Ctrl-C that stops cleanly. */
export interface Session {
  aws: AwsClients;
  region: string;
  reporter: Reporter;
  signal: AbortSignal;
  context(spec: StackSpec, wait?: boolean): Context;
  close(): void;
}

const IN_FLIGHT_GRACE_MS = 5_000;

export async function openSession(conn: ConnectionOptions, io: CommandIo = processIo()): Promise<Session> {
  const region = conn.region ?? (await resolveRegion(conn.profile));
  // Ctrl-C first stops new work and lets calls in flight finish; calls still hanging after a grace
  // period are cut off, so an endpoint that never answers cannot hold the exit.
  const controller = new AbortController();
  const inFlight = new AbortController();
  // Every concurrent AWS call and wait listens on these: many listeners is by design, not a leak.
  setMaxListeners(0, controller.signal, inFlight.signal);
  const aws = new AwsClients({ region, profile: conn.profile, endpointUrl: conn.endpointUrl, credentials: conn.credentials, signal: inFlight.signal, stopSignal: controller.signal });
  try {
    await aws.ecs.config.credentials();
  } catch (err) {
    aws.destroy();
    throw new CliError(describeError(err), 'INVALID_INPUT');
  }
  const reporter = io.reporter(conn.json);
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) {
      reporter.stop();
      io.stderr.write('interrupted again: exiting now; run the same command again to finish the job\n');
      process.exit(ExitCode.interrupted);
    }
    reporter.warn('interrupted: starting nothing new, letting the AWS calls in flight finish (cut off after 5 s); Ctrl-C again to quit at once');
    controller.abort(new InterruptedError());
    setTimeout(() => inFlight.abort(), IN_FLIGHT_GRACE_MS).unref();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  return {
    aws,
    region,
    reporter,
    signal: controller.signal,
    context: (spec, wait = true) => newContext({ aws, spec, reporter, signal: controller.signal, wait }),
    close() {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
      reporter.stop();
      aws.destroy();
    },
  };
}

/**
 * The region as every command resolves it without --region: AWS_REGION, then the profile's; no AWS
 * call. AWS_REGION is checked with the options; a region from the profile is known only here.
 */
export async function resolveRegion(profile: string | undefined): Promise<string> {
  const probe = new (sdk.ecs().ECSClient)(profile ? { profile } : {});
  let region: string;
  try {
    region = await probe.config.region();
  } catch {
    throw new InputError('--region: no AWS region is configured; pass --region (e.g. --region us-east-1) or set AWS_REGION');
  } finally {
    probe.destroy();
  }
  if (!process.env.AWS_REGION) checkRegion(region, { profile: profile ?? process.env.AWS_PROFILE ?? 'default' });
  return region;
}
