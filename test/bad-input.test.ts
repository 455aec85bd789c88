import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CreateSubnetCommand, CreateVpcCommand, DescribeSubnetsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { isKnownRegion, sharedProfileNames } from '../src/config/aws-environment.js';
import { CREDENTIALS } from './support/sim-fixtures.js';
import { runCli, simEnv } from './support/cli.js';
import { freeClosedPort } from './support/ports.js';
import { withStack } from './support/stack.js';

const stack = withStack();
const { cli } = stack;
afterAll(() => {
  rmSync(awsDir, { recursive: true, force: true });
});

const IMAGE = ['--app-image', 'ghcr.io/acme/shop:1.4'];
const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0f3e8a9c-1b2d-4c5e-8f90-a1b2c3d4e5f6';
const EXPIRED_TOKEN = 'bad-input-expired-session';

// A shared config file with three profiles: one in a region AWS does not have, one without a region, and a
// good one, whose keys (the simulation's dummies) come from a credential_process.
const awsDir = mkdtempSync(join(tmpdir(), 'fargate-prom-aws-config-'));
const AWS_CONFIG_FILE = join(awsDir, 'config');
const KEYS_FILE = join(awsDir, 'keys.json');
writeFileSync(KEYS_FILE, JSON.stringify({ Version: 1, AccessKeyId: CREDENTIALS.accessKeyId, SecretAccessKey: CREDENTIALS.secretAccessKey }));
writeFileSync(AWS_CONFIG_FILE, [
  '[profile bad-region]', 'region = us-east-9',
  '[profile no-region]',
  '[profile good]', 'region = eu-west-1', `credential_process = cat ${KEYS_FILE}`,
  '',
].join('\n'));

interface BadInput {
  what: string;
  args: string[];
  env?: Record<string, string | undefined>;
  /** Prepares the case (resources in moto, a closed port, an expired token) and returns more arguments. */
  setup?: () => Promise<string[]>;
  /** Exit code: 2 unless the problem can only show once AWS answers. */
  code?: number;
  /** The one error line: it names the flag and the fix. */
  line: RegExp;
  /**
   * What reached AWS: 'none' (the default: found before any call), 'reads' (found by looking: read calls
   * only), 'elsewhere' (the endpoint is not the simulation: nothing may reach it).
   */
  calls?: 'none' | 'reads' | 'elsewhere';
}

/** The line starts by naming the flag and goes on to the fix. */
const flag = (name: string, fix: RegExp) => new RegExp(`^error: ${name}[: ].*${fix.source}`);

const cases: BadInput[] = [
  // Every flag's invalid values.
  { what: '--name with capitals', args: ['up', '--name', 'A-Stack', ...IMAGE], line: flag('--name', /lowercase letters/) },
  { what: '--name too long', args: ['up', '--name', 'a'.repeat(21), ...IMAGE], line: flag('--name', /1–20 characters/) },
  { what: '--name ending with a hyphen', args: ['up', '--name', 'shop-', ...IMAGE], line: flag('--name', /not ending with a hyphen/) },
  { what: '--name starting with a digit', args: ['up', '--name', '1shop', ...IMAGE], line: flag('--name', /starting with a letter/) },
  { what: '--name with an underscore', args: ['up', '--name', 'shop_app', ...IMAGE], line: flag('--name', /hyphens/) },
  { what: '--name on status', args: ['status', '--name', 'UPPER'], line: flag('--name', /lowercase/) },
  // Names AWS refuses for a resource the stack would make, found before any call on every command.
  { what: '--name making a security group named sg-…', args: ['up', '--name', 'sg-shop', ...IMAGE], line: /^error: --name sg-shop: security group names cannot start with "sg-" \(this stack's would be sg-shop-alb\); choose another name$/ },
  { what: '--name sg (its groups would be sg-alb)', args: ['status', '--name', 'sg'], line: flag('--name', /security group names cannot start with "sg-"/) },
  { what: '--name making a load balancer named internal-…', args: ['up', '--name', 'internal-shop', ...IMAGE], line: /^error: --name internal-shop: load balancer names cannot start with "internal-" \(this stack's would be internal-shop-alb\); choose another name$/ },
  { what: '--name internal on destroy', args: ['destroy', '--name', 'internal', '--yes'], line: flag('--name', /load balancer names cannot start with "internal-"/) },
  { what: '--name sg-… on agent-config', args: ['agent-config', '--name', 'sg-x'], line: flag('--name', /security group names/) },
  { what: '--region malformed', args: ['up', '--region', 'moon-base-1a', ...IMAGE], line: /^error: --region: "moon-base-1a" is not an AWS region; pass one such as --region us-east-1$/ },
  { what: '--region well-formed but unknown', args: ['up', '--region', 'us-east-9', ...IMAGE], line: /^error: --region: "us-east-9" is not an AWS region; pass one such as --region us-east-1$/ },
  { what: '--region a pseudo-region', args: ['status', '--region', 'aws-global'], line: flag('--region', /not an AWS region/) },
  { what: 'AWS_REGION unknown', args: ['up', ...IMAGE], env: { AWS_REGION: 'us-east-9' }, line: /^error: --region: AWS_REGION is "us-east-9", which is not an AWS region; pass one such as --region us-east-1 or fix AWS_REGION$/ },
  { what: 'the profile\'s region unknown', args: ['up', '--profile', 'bad-region', ...IMAGE], env: { AWS_CONFIG_FILE, AWS_REGION: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }, line: /^error: --region: "us-east-9" \(the region of profile bad-region\) is not an AWS region; pass one such as --region us-east-1 or fix the profile's region$/ },
  { what: 'no region anywhere', args: ['up', ...IMAGE], env: { AWS_REGION: undefined }, line: flag('--region', /no AWS region is configured; pass --region/) },
  { what: 'no region anywhere, the profile has none', args: ['status', '--profile', 'no-region'], env: { AWS_CONFIG_FILE, AWS_REGION: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }, line: flag('--region', /no AWS region is configured/) },
  { what: '--profile that does not exist', args: ['up', '--profile', 'nope', ...IMAGE], env: { AWS_CONFIG_FILE }, line: /^error: --profile: "nope" is not a profile in .*config or ~\/\.aws\/credentials; pass one that `aws configure list-profiles` lists, or create it with `aws configure --profile nope`$/ },
  { what: '--profile with bad characters', args: ['status', '--profile', 'my profile'], line: flag('--profile', /profile from ~\/\.aws\/config/) },
  { what: 'AWS_PROFILE that does not exist', args: ['destroy', '--yes'], env: { AWS_PROFILE: 'ghost' }, line: flag('--profile', /AWS_PROFILE is "ghost".*unset AWS_PROFILE$/) },
  { what: '--endpoint-url not http', args: ['up', '--endpoint-url', 'ftp://x', ...IMAGE], line: flag('--endpoint-url', /http/), calls: 'elsewhere' },
  { what: '--app-image with a space', args: ['up', '--app-image', 'has space:1'], line: flag('--app-image', /image reference/) },
  { what: '--app-port 0', args: ['up', ...IMAGE, '--app-port', '0'], line: flag('--app-port', /1 to 65535/) },
  { what: '--app-port too high', args: ['up', ...IMAGE, '--app-port', '70000'], line: flag('--app-port', /1 to 65535/) },
  { what: '--app-port not a number', args: ['up', ...IMAGE, '--app-port', 'http'], line: flag('--app-port', /whole number/) },
  { what: '--app-port taken by Grafana', args: ['up', ...IMAGE, '--app-port', '3000'], line: flag('--app-port', /Grafana/) },
  { what: '--app-port taken by the agent', args: ['up', ...IMAGE, '--app-port', '9090'], line: flag('--app-port', /Prometheus agent/) },
  { what: '--metrics-path relative', args: ['up', ...IMAGE, '--metrics-path', 'metrics'], line: flag('--metrics-path', /absolute path/) },
  { what: '--health-path with a space', args: ['up', ...IMAGE, '--health-path', '/health check'], line: flag('--health-path', /absolute path/) },
  { what: '--desired-count 0', args: ['up', ...IMAGE, '--desired-count', '0'], line: flag('--desired-count', /1 to 100/) },
  { what: '--desired-count a fraction', args: ['up', ...IMAGE, '--desired-count', '1.5'], line: flag('--desired-count', /whole number/) },
  { what: '--cpu not a Fargate size', args: ['up', ...IMAGE, '--cpu', '300'], line: flag('--cpu', /256, 512, 1024/) },
  { what: 'Fargate 256 CPU with 4096 MiB', args: ['up', ...IMAGE, '--cpu', '256', '--memory', '4096'], line: flag('--memory', /512, 1024, 2048/) },
  { what: 'Fargate 512 CPU with 512 MiB', args: ['up', ...IMAGE, '--cpu', '512', '--memory', '512'], line: flag('--memory', /1024, 2048, 3072, 4096/) },
  { what: 'Fargate 8192 CPU off its 4096 MiB steps', args: ['up', ...IMAGE, '--cpu', '8192', '--memory', '17408'], line: flag('--memory', /steps of 4096/) },
  { what: '--scrape-interval not a duration', args: ['up', ...IMAGE, '--scrape-interval', 'fast'], line: flag('--scrape-interval', /15s/) },
  { what: '--scrape-interval 0s', args: ['up', ...IMAGE, '--scrape-interval', '0s'], line: flag('--scrape-interval', /between 1s and 5m/) },
  { what: '--scrape-interval 10m', args: ['up', ...IMAGE, '--scrape-interval', '10m'], line: flag('--scrape-interval', /between 1s and 5m/) },
  { what: '--log-retention CloudWatch refuses', args: ['up', ...IMAGE, '--log-retention', '10'], line: flag('--log-retention', /1, 3, 5, 7, 14/) },
  { what: '--log-retention 0', args: ['up', ...IMAGE, '--log-retention', '0'], line: flag('--log-retention', /whole number|1, 3, 5/) },
  { what: '--grafana-image empty', args: ['up', ...IMAGE, '--grafana-image', ''], line: flag('--grafana-image', /image reference/) },
  { what: '--vpc-id not an id', args: ['up', ...IMAGE, '--vpc-id', 'default'], line: flag('--vpc-id', /vpc-0abc1234/) },
  { what: '--subnet-ids only one', args: ['up', ...IMAGE, '--subnet-ids', 'subnet-0abc1234'], line: flag('--subnet-ids', /two or more/) },
  { what: '--subnet-ids not subnet ids', args: ['up', ...IMAGE, '--subnet-ids', 'subnet-0abc1234,sn-2'], line: flag('--subnet-ids', /not a subnet id/) },
  { what: '--allow-cidr prefix too long', args: ['up', ...IMAGE, '--allow-cidr', '10.0.0.0/33'], line: flag('--allow-cidr', /IPv4 CIDR/) },
  { what: '--allow-cidr with host bits', args: ['up', ...IMAGE, '--allow-cidr', '203.0.113.7/24'], line: flag('--allow-cidr', /IPv4 CIDR/) },
  { what: '--certificate-arn not ACM', args: ['up', ...IMAGE, '--certificate-arn', 'arn:aws:iam::123:cert/x'], line: flag('--certificate-arn', /ACM certificate ARN/) },
  { what: '--certificate-arn in another region', args: ['up', ...IMAGE, '--region', 'eu-west-1', '--certificate-arn', ARN], line: flag('--certificate-arn', /same region/) },
  { what: '--grafana-url without a scheme', args: ['up', ...IMAGE, '--grafana-url', 'localhost:3000'], line: flag('--grafana-url', /http/) },
  { what: '--amp-endpoint-url without a scheme', args: ['status', '--amp-endpoint-url', 'localhost:9095'], line: /^error: --amp-endpoint-url: "localhost:9095" is not an http\(s\) URL; pass e\.g\. --amp-endpoint-url http:\/\/127\.0\.0\.1:9095$/ },
  { what: '--amp-endpoint-url not http', args: ['status', '--amp-endpoint-url', 'file:///tmp/amp'], line: flag('--amp-endpoint-url', /http/) },
  { what: 'agent-config --format unknown', args: ['agent-config', '--format', 'json'], line: /^error: --format: "json" is not a format; use --format yaml or --format container$/ },
  { what: 'agent-config --workspace-id malformed', args: ['agent-config', '--workspace-id', 'ws-123'], line: /^error: --workspace-id: "ws-123" is not an AMP workspace id; pass e\.g\. --workspace-id ws-12345678-abcd-1234-abcd-123456789012$/ },
  { what: 'agent-config --scrape-interval too long', args: ['agent-config', '--scrape-interval', '1h'], line: flag('--scrape-interval', /between 1s and 5m/) },
  { what: '--once without --sandbox', args: ['up', ...IMAGE, '--once'], line: flag('--once', /add --sandbox/) },
  { what: '--sandbox with --region', args: ['up', '--sandbox', '--region', 'us-east-1'], line: flag('--region', /drop this flag or drop --sandbox/) },
  // --yes (or no terminal) without a required value.
  { what: '--yes without --app-image', args: ['up', '--yes'], line: flag('--app-image', /required when there is no prompt/) },
  { what: '--json (no prompt) without --app-image', args: ['up', '--json'], line: flag('--app-image', /required when there is no prompt/) },
  { what: 'destroy without --yes and no terminal', args: ['destroy'], line: flag('--yes', /pass --yes/) },
  // Credentials.
  {
    what: 'missing credentials',
    args: ['up', ...IMAGE, '--yes'],
    env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined },
    line: /^error: no AWS credentials found \(environment, --profile, config files, SSO\); run `aws configure` or `aws sso login`, or pass --profile$/,
  },
  {
    what: 'expired credentials (AWS refuses the first call)',
    args: ['up', ...IMAGE, '--yes'],
    env: { AWS_SESSION_TOKEN: EXPIRED_TOKEN },
    setup: async () => {
      stack.sim.expireSessionToken(EXPIRED_TOKEN, true);
      return [];
    },
    code: 1,
    line: /^error: the AWS credentials have expired; refresh them \(for SSO: `aws sso login`\) and run again$/,
    calls: 'reads',
  },
  // Where AWS is.
  {
    what: 'an unreachable endpoint',
    args: ['up', ...IMAGE, '--yes'],
    env: { AWS_MAX_ATTEMPTS: '1' },
    setup: async () => ['--endpoint-url', `http://127.0.0.1:${await freeClosedPort()}`],
    code: 1,
    line: /^error: cannot reach the AWS endpoint \(.*ECONNREFUSED.*\); check --region, --endpoint-url and your network$/,
    calls: 'elsewhere',
  },
  // Found by looking (read calls only).
  {
    what: 'a certificate ARN that is well formed but not in ACM',
    args: ['up', ...IMAGE, '--yes', '--certificate-arn', ARN],
    line: /^error: --certificate-arn: there is no such certificate in ACM in us-east-1; pass the ARN of an issued certificate from this account and region$/,
    calls: 'reads',
  },
  {
    what: 'a VPC that does not exist',
    args: ['up', ...IMAGE, '--yes', '--vpc-id', 'vpc-0123456789abcdef0'],
    line: /^error: --vpc-id: vpc-0123456789abcdef0 does not exist in us-east-1; pass a VPC id from this region$/,
    calls: 'reads',
  },
  {
    what: 'subnets in only one availability zone',
    args: ['up', ...IMAGE, '--yes'],
    setup: async () => {
      const aws = stack.moto;
      const vpc = (await aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0];
      const first = (await aws.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId!] }] }))).Subnets![0];
      const second = await aws.ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '172.31.200.0/24', AvailabilityZone: first.AvailabilityZone }));
      return ['--subnet-ids', `${first.SubnetId},${second.Subnet!.SubnetId}`];
    },
    line: /^error: --subnet-ids: the load balancer needs subnets in at least two availability zones, found 1 \(us-east-1\w\); pass subnets from two or more zones$/,
    calls: 'reads',
  },
  {
    what: 'private subnets (no route to an internet gateway) for the internet-facing load balancer',
    args: ['up', ...IMAGE, '--yes'],
    setup: async () => {
      // A fresh VPC has only its local route: its subnets are private.
      const aws = stack.moto;
      const vpcId = (await aws.ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }))).Vpc!.VpcId!;
      const subnetIds = await Promise.all(
        ['us-east-1a', 'us-east-1b'].map(async (zone, i) =>
          (await aws.ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.42.${i}.0/24`, AvailabilityZone: zone }))).Subnet!.SubnetId!),
      );
      return ['--vpc-id', vpcId, '--subnet-ids', subnetIds.join(',')];
    },
    line: /^error: --subnet-ids: subnet-\w+, subnet-\w+ have no route to an internet gateway; the internet-facing load balancer and the tasks share the subnets, so pass public subnets$/,
    calls: 'reads',
  },
];

// The SDK's notice about future Node.js versions is not the CLI's output.
const SDK_NOTICE = /NodeVersionSupportWarning|versions published|require node|continue receiving|and security updates|More information|trace-warnings/;

describe('bad input: one line naming the flag and the fix, the right exit code, no mutating AWS call', () => {
  it('covers at least 30 bad inputs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('$what', async ({ args, env, setup, code = 2, line, calls = 'none' }) => {
    const extra = (await setup?.()) ?? [];
    const argv = [...args, ...extra];
    if (!argv.includes('--endpoint-url')) argv.push('--endpoint-url', stack.sim.endpoint);
    stack.sim.clearCalls();
    const run = await runCli(argv, simEnv(env));
    expect(run.code, run.stderr).toBe(code);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n').filter((l) => !SDK_NOTICE.test(l));
    // Progress lines may come first once AWS was asked; the error is one line, the last, and no stack trace.
    expect(lines.filter((l) => l.startsWith('error:')), run.stderr).toEqual([lines[lines.length - 1]]);
    expect(lines[lines.length - 1]).toMatch(line);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    if (calls === 'none') expect(lines).toHaveLength(1);
    const made = stack.sim.calls();
    if (calls === 'reads') {
      expect(made.length).toBeGreaterThan(0);
      expect(made.filter((c) => c.mutating)).toEqual([]);
    } else {
      expect(made).toEqual([]);
    }
  });

  it('expired credentials: every call AWS saw was refused for the token, none changed anything', async () => {
    stack.sim.expireSessionToken(EXPIRED_TOKEN, true);
    stack.sim.clearCalls();
    const run = await cli(['up', ...IMAGE, '--yes'], simEnv({ AWS_SESSION_TOKEN: EXPIRED_TOKEN }));
    expect(run.code).toBe(1);
    expect(stack.sim.calls().map((c) => [c.action, c.mutating, c.fault])).toEqual([['DescribeVpcs', false, 'expired-token']]);
    // A fresh token works again.
    stack.sim.expireSessionToken(EXPIRED_TOKEN, false);
    const dry = await cli(['up', ...IMAGE, '--dry-run'], simEnv({ AWS_SESSION_TOKEN: EXPIRED_TOKEN }));
    expect(dry.code, dry.stderr).toBe(0);
  });

  it('an unknown flag is a usage error (exit 2)', async () => {
    const run = await runCli(['up', '--app-imag', 'x'], simEnv());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--app-imag'");
  });

  it('good regions and profiles still pass: a profile from the config file, its region, and a region of another partition', async () => {
    const env = simEnv({ AWS_CONFIG_FILE, AWS_REGION: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    const byProfile = await cli(['status', '--profile', 'good'], env);
    expect(byProfile.code, byProfile.stderr).toBe(4);
    expect(byProfile.stderr).toMatch(/no stack named fargate-prom in eu-west-1/);
    for (const region of ['us-east-1', 'ap-southeast-7', 'us-gov-west-1']) {
      const run = await cli(['status', '--region', region]);
      expect(run.code, run.stderr).toBe(4);
      expect(run.stderr).toContain(`no stack named fargate-prom in ${region}`);
    }
  });
});

describe('regions and profiles, as the SDK sees them', () => {
  it('knows the regions of every partition from the SDK, not pseudo-regions or guesses', () => {
    for (const region of ['us-east-1', 'eu-central-2', 'ap-southeast-7', 'cn-north-1', 'us-gov-west-1']) expect(isKnownRegion(region), region).toBe(true);
    for (const region of ['us-east-9', 'aws-global', 'aws-cn-global', 'moon-base-1', 'US-EAST-1', '']) expect(isKnownRegion(region), region).toBe(false);
  });

  it('reads profile names as the SDK does: [default] and [profile x] in config, any [x] in credentials', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fargate-prom-profiles-'));
    writeFileSync(join(dir, 'config'), '[default]\n[profile dev] # comment\n[sso-session corp]\n[services local]\n[not-a-profile]\n; [profile commented]\n');
    writeFileSync(join(dir, 'credentials'), '[ci]\naws_access_key_id = x\n[profile odd]\n');
    const names = sharedProfileNames({ HOME: dir, AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') });
    expect([...names].sort()).toEqual(['ci', 'default', 'dev']);
    expect(sharedProfileNames({ HOME: join(dir, 'missing') }).size).toBe(0);
  });
});
