import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateSubnetCommand, CreateVpcCommand, DescribeSubnetsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { startSimulation, type Simulation } from '../src/sim/simulation.js';
import { simClients } from './support/sim-fixtures.js';
import { runCli, simEnv } from './support/cli.js';

let sim: Simulation;
beforeAll(async () => {
  sim = await startSimulation();
});
afterAll(async () => {
  await sim?.stop();
});

const IMAGE = ['--app-image', 'ghcr.io/acme/shop:1.4'];
const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0f3e8a9c-1b2d-4c5e-8f90-a1b2c3d4e5f6';

// [arguments, the flag the message must name, a fragment of the fix]
const cases: [string[], string, RegExp][] = [
  [['up', '--name', 'A-Stack', ...IMAGE], '--name', /lowercase letters/],
  [['up', '--name', 'a'.repeat(21), ...IMAGE], '--name', /1–20 characters/],
  [['up', '--name', 'shop-', ...IMAGE], '--name', /not ending with a hyphen/],
  [['up', '--name', '1shop', ...IMAGE], '--name', /starting with a letter/],
  [['up', '--name', 'shop_app', ...IMAGE], '--name', /hyphens/],
  [['up', '--region', 'moon-base-1a', ...IMAGE], '--region', /us-east-1/],
  [['up', '--endpoint-url', 'ftp://x', ...IMAGE], '--endpoint-url', /http/],
  [['up', '--app-image', 'has space:1'], '--app-image', /image reference/],
  [['up', ...IMAGE, '--app-port', '0'], '--app-port', /1 to 65535/],
  [['up', ...IMAGE, '--app-port', '70000'], '--app-port', /1 to 65535/],
  [['up', ...IMAGE, '--app-port', 'http'], '--app-port', /whole number/],
  [['up', ...IMAGE, '--app-port', '3000'], '--app-port', /Grafana/],
  [['up', ...IMAGE, '--metrics-path', 'metrics'], '--metrics-path', /absolute path/],
  [['up', ...IMAGE, '--health-path', '/health check'], '--health-path', /absolute path/],
  [['up', ...IMAGE, '--desired-count', '0'], '--desired-count', /1 to 100/],
  [['up', ...IMAGE, '--desired-count', '1.5'], '--desired-count', /whole number/],
  [['up', ...IMAGE, '--cpu', '300'], '--cpu', /256, 512, 1024/],
  [['up', ...IMAGE, '--cpu', '256', '--memory', '4096'], '--memory', /512, 1024, 2048/],
  [['up', ...IMAGE, '--cpu', '512', '--memory', '512'], '--memory', /1024, 2048, 3072, 4096/],
  [['up', ...IMAGE, '--cpu', '8192', '--memory', '17408'], '--memory', /steps of 4096/],
  [['up', ...IMAGE, '--scrape-interval', 'fast'], '--scrape-interval', /15s/],
  [['up', ...IMAGE, '--scrape-interval', '0s'], '--scrape-interval', /between 1s and 5m/],
  [['up', ...IMAGE, '--scrape-interval', '10m'], '--scrape-interval', /between 1s and 5m/],
  [['up', ...IMAGE, '--log-retention', '10'], '--log-retention', /1, 3, 5, 7, 14/],
  [['up', ...IMAGE, '--log-retention', '0'], '--log-retention', /whole number|1, 3, 5/],
  [['up', ...IMAGE, '--grafana-image', ''], '--grafana-image', /image reference/],
  [['up', ...IMAGE, '--vpc-id', 'default'], '--vpc-id', /vpc-0abc1234/],
  [['up', ...IMAGE, '--subnet-ids', 'subnet-0abc1234'], '--subnet-ids', /two or more/],
  [['up', ...IMAGE, '--subnet-ids', 'subnet-0abc1234,sn-2'], '--subnet-ids', /not a subnet id/],
  [['up', ...IMAGE, '--allow-cidr', '10.0.0.0/33'], '--allow-cidr', /IPv4 CIDR/],
  [['up', ...IMAGE, '--allow-cidr', '203.0.113.7/24'], '--allow-cidr', /IPv4 CIDR/],
  [['up', ...IMAGE, '--certificate-arn', 'arn:aws:iam::123:cert/x'], '--certificate-arn', /ACM certificate ARN/],
  [['up', ...IMAGE, '--region', 'eu-west-1', '--certificate-arn', ARN], '--certificate-arn', /same region/],
  [['up', '--yes'], '--app-image', /is required/],
  [['up', '--json'], '--app-image', /is required/],
  [['up', ...IMAGE, '--grafana-url', 'localhost:3000'], '--grafana-url', /http/],
  [['destroy'], '--yes', /pass --yes/],
  [['status', '--name', 'UPPER'], '--name', /lowercase/],
];

describe('bad input: one line naming the flag and the fix, exit 2, no AWS call', () => {
  it.each(cases)('%j', async (args, flag, fix) => {
    sim.clearCalls();
    const run = await runCli(args.includes('--endpoint-url') ? args : [...args, '--endpoint-url', sim.endpoint], simEnv());
    expect(run.code, run.stderr).toBe(2);
    const lines = run.stderr.trim().split('\n').filter((l) => !/NodeVersionSupportWarning|versions published|require node|continue receiving|and security updates|More information|trace-warnings/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(flag);
    expect(lines[0]).toMatch(fix);
    expect(run.stdout).toBe('');
    expect(sim.calls()).toEqual([]);
  });

  it('an unknown flag is a usage error (exit 2)', async () => {
    const run = await runCli(['up', '--app-imag', 'x'], simEnv());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--app-imag'");
  });

  it('missing credentials: exit 2 with how to provide them, before any AWS call', async () => {
    sim.clearCalls();
    const run = await runCli(['status', '--endpoint-url', sim.endpoint], simEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no AWS credentials found.*--profile/);
    expect(sim.calls()).toEqual([]);
  });

  it('no region anywhere: exit 2 naming --region', async () => {
    const run = await runCli(['status', '--endpoint-url', sim.endpoint], simEnv({ AWS_REGION: undefined }));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--region: no AWS region is configured/);
  });

  it('an unreachable endpoint: exit 1 with one clear line, no stack trace', async () => {
    const run = await runCli(['status', '--endpoint-url', 'http://127.0.0.1:9'], simEnv({ AWS_MAX_ATTEMPTS: '1' }));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot reach the AWS endpoint/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('bad input found by looking (read-only calls only)', () => {
  it('a VPC that does not exist', async () => {
    sim.clearCalls();
    const run = await runCli(['up', ...IMAGE, '--yes', '--vpc-id', 'vpc-0123456789abcdef0', '--endpoint-url', sim.endpoint], simEnv());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--vpc-id: vpc-0123456789abcdef0 does not exist/);
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('subnets in only one availability zone', async () => {
    const aws = simClients(sim.motoEndpoint);
    const vpc = (await aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0];
    const first = (await aws.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId!] }] }))).Subnets![0];
    const second = await aws.ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '172.31.200.0/24', AvailabilityZone: first.AvailabilityZone }));
    sim.clearCalls();
    const run = await runCli(['up', ...IMAGE, '--yes', '--subnet-ids', `${first.SubnetId},${second.Subnet!.SubnetId}`, '--endpoint-url', sim.endpoint], simEnv());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--subnet-ids: the load balancer needs subnets in at least two availability zones, found 1/);
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('private subnets (no route to an internet gateway) for the internet-facing load balancer', async () => {
    // A fresh VPC has only its local route: its subnets are private.
    const aws = simClients(sim.motoEndpoint);
    const vpcId = (await aws.ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }))).Vpc!.VpcId!;
    const subnetIds = await Promise.all(
      ['us-east-1a', 'us-east-1b'].map(async (zone, i) =>
        (await aws.ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.42.${i}.0/24`, AvailabilityZone: zone }))).Subnet!.SubnetId!),
    );
    sim.clearCalls();
    const run = await runCli(['up', ...IMAGE, '--yes', '--vpc-id', vpcId, '--subnet-ids', subnetIds.join(','), '--endpoint-url', sim.endpoint], simEnv());
    expect(run.code, run.stderr).toBe(2);
    const named = [...subnetIds].sort().join(', ');
    expect(run.stderr.trim().split('\n').pop()).toBe(`error: --subnet-ids: ${named} have no route to an internet gateway; the internet-facing load balancer and the tasks share the subnets, so pass public subnets`);
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });
});
