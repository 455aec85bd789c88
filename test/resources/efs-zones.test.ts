import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AwsClients } from '../../src/aws/clients.js';
import { CliError } from '../../src/errors.js';
import { checkEfsZones, type ResolvedNetwork } from '../../src/stack/network.js';
import { inputsOf } from '../support/resource-context.js';

// checkEfsZones against a mocked EC2: which zone types refuse, how several are named, what is asked.
// The refusal end to end (exit 2, no mutating call) is in test/efs.test.ts.
const ec2 = mockClient(EC2Client);
afterEach(() => ec2.reset());

process.env.AWS_ACCESS_KEY_ID ??= 'testing';
process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
const aws = () => new AwsClients({ region: 'us-west-2' });

const NETWORK: ResolvedNetwork = {
  vpcId: 'vpc-11111111',
  subnetIds: ['subnet-a', 'subnet-b', 'subnet-c', 'subnet-d'],
  assignPublicIp: true,
  zones: { 'subnet-a': 'us-west-2a', 'subnet-b': 'us-west-2-lax-1a', 'subnet-c': 'us-west-2-wl1-den-wlz-1', 'subnet-d': 'us-west-2a' },
};
const zone = (ZoneName: string, ZoneType: string | undefined) => ({ ZoneName, ...(ZoneType ? { ZoneType } : {}) });

describe('checkEfsZones', () => {
  it('asks once for the subnets\' zones, opted-in Local and Wavelength Zones included', async () => {
    ec2.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: [zone('us-west-2a', 'availability-zone')] });
    await checkEfsZones(aws(), { ...NETWORK, subnetIds: ['subnet-a', 'subnet-d'] });
    expect(inputsOf(ec2.commandCalls(DescribeAvailabilityZonesCommand))).toEqual([{ ZoneNames: ['us-west-2a'], AllAvailabilityZones: true }]);
    expect(ec2.calls()).toHaveLength(1);
  });

  it('refuses every subnet outside the Availability Zones in one input error naming each subnet, zone and type', async () => {
    ec2.on(DescribeAvailabilityZonesCommand).resolves({
      AvailabilityZones: [zone('us-west-2a', 'availability-zone'), zone('us-west-2-lax-1a', 'local-zone'), zone('us-west-2-wl1-den-wlz-1', 'wavelength-zone')],
    });
    const err = await checkEfsZones(aws(), NETWORK).catch((e) => e);
    expect(err).toBeInstanceOf(CliError);
    expect([err.code, err.exitCode]).toEqual(['INVALID_INPUT', 2]);
    expect(err.message).toBe("--subnet-ids: subnet-b (us-west-2-lax-1a, a local-zone), subnet-c (us-west-2-wl1-den-wlz-1, a wavelength-zone) are not in Availability Zones of us-west-2, and Grafana's EFS file system takes mount targets only there; pass subnets in the Region's Availability Zones, or --grafana-storage ephemeral");
    expect(inputsOf(ec2.commandCalls(DescribeAvailabilityZonesCommand))).toEqual([
      { ZoneNames: ['us-west-2-lax-1a', 'us-west-2-wl1-den-wlz-1', 'us-west-2a'], AllAvailabilityZones: true },
    ]);
  });

  it('leaves a zone AWS gives no type to CreateMountTarget', async () => {
    ec2.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: [zone('us-west-2a', 'availability-zone'), zone('us-west-2-lax-1a', undefined)] });
    await expect(checkEfsZones(aws(), { ...NETWORK, subnetIds: ['subnet-a', 'subnet-b'] })).resolves.toBeUndefined();
  });
});
