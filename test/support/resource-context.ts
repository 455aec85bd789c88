import { AwsClients } from '../../src/aws/clients.js';
import { parseUpOptions, type RawOptions } from '../../src/config/options.js';
import { newContext, type Context } from '../../src/resources/context.js';
import { makeSpec, type Network } from '../../src/stack/spec.js';
import { silentReporter } from '../../src/ui/reporter.js';

// For unit tests of one resource module: its AWS side is mocked with aws-sdk-client-mock (which replaces
// `send` of every client of a class), so these clients never reach the network. Dummy keys keep the SDK
// from looking for real credentials.

export const NETWORK: Network = { vpcId: 'vpc-11111111', subnetIds: ['subnet-1', 'subnet-2'], assignPublicIp: true };

/** The context `up` would pass a resource of stack `unit`, with these flags (as parsed from the command line). */
export function resourceContext(flags: RawOptions = {}, network: Network = NETWORK): Context {
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  return newContext({
    aws: new AwsClients({ region: 'us-east-1' }),
    spec: makeSpec('unit', 'us-east-1', parseUpOptions({ appImage: 'ghcr.io/acme/shop:1.4', ...flags }), network),
    reporter: silentReporter,
    signal: new AbortController().signal,
    wait: true,
  });
}

/** An error as the SDK raises it for an AWS error response (name = AWS's error code). */
export const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: {} });

/** The inputs of mocked commands' calls (from `mock.commandCalls(Command)`), in call order. */
export const inputsOf = <T extends { args: [{ input: unknown }] }>(calls: T[]) => calls.map((c) => c.args[0].input);
