// The simulation (docs/simulation.md), checked with real SDK v3 clients against sim.endpoint.
// The proxy itself: faults, expired credentials, latency, and the moto process it owns.
import { execFileSync } from 'node:child_process';
import { AmpClient, ListWorkspacesCommand } from '@aws-sdk/client-amp';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, DescribeClustersCommand, ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulation, type Simulation } from '@fargate-prom/aws-sim/testing';
import { CREDENTIALS, ECS_TRUST_POLICY, expectAwsError, REGION, simClients, type SimClients } from './support/sim-fixtures.js';
import { FAST } from './support/sim-timing.js';

describe('sim: faults', () => {
  let sim: Simulation;
  let c: SimClients;

  beforeAll(async () => {
    sim = await startSimulation({ timing: FAST });
    c = simClients(sim.endpoint, 1);
  });
  afterAll(async () => {
    await sim?.stop();
  });
  beforeEach(() => {
    sim.setFaults(undefined);
    sim.clearCalls();
  });

  it("throttles with each service's own error code, before the call reaches moto", async () => {
    sim.setFaults({ seed: 1, throttleRate: 1 });
    await expectAwsError(c.ecs.send(new CreateClusterCommand({ clusterName: 'throttled' })), 'ThrottlingException');
    await expectAwsError(c.logs.send(new DescribeLogGroupsCommand({})), 'ThrottlingException');
    await expectAwsError(c.amp.send(new ListWorkspacesCommand({})), 'ThrottlingException');
    await expectAwsError(c.iam.send(new CreateRoleCommand({ RoleName: 'throttled', AssumeRolePolicyDocument: ECS_TRUST_POLICY })), 'Throttling');
    await expectAwsError(c.elb.send(new DescribeLoadBalancersCommand({})), 'Throttling');
    await expectAwsError(c.ec2.send(new DescribeVpcsCommand({})), 'RequestLimitExceeded');
    await expectAwsError(c.secrets.send(new ListSecretsCommand({})), 'ThrottlingException');
    expect(sim.calls().map((call) => [call.service, call.action, call.fault])).toEqual([
      ['ecs', 'CreateCluster', 'throttle'],
      ['logs', 'DescribeLogGroups', 'throttle'],
      ['aps', 'ListWorkspaces', 'throttle'],
      ['iam', 'CreateRole', 'throttle'],
      ['elasticloadbalancing', 'DescribeLoadBalancers', 'throttle'],
      ['ec2', 'DescribeVpcs', 'throttle'],
      ['secretsmanager', 'ListSecrets', 'throttle'],
    ]);
    expect(sim.calls().map((call) => call.mutating)).toEqual([true, false, false, true, false, false, false]);
    sim.setFaults(undefined);
    const clusters = (await c.ecs.send(new DescribeClustersCommand({ clusters: ['throttled'] }))).clusters ?? [];
    expect(clusters.filter((cl) => cl.status === 'ACTIVE')).toEqual([]);
  });

  it('throttling and 5xx are retried by the SDK; validation errors are not', async () => {
    const retrying = simClients(sim.endpoint, 2);
    sim.setFaults({ seed: 2, throttleRate: 1 });
    await expectAwsError(retrying.ecs.send(new ListClustersCommand({})), 'ThrottlingException');
    expect(sim.calls()).toHaveLength(2);
    sim.clearCalls();
    sim.setFaults({ seed: 2, serverErrorRate: 1 });
    const err: any = await retrying.ec2.send(new DescribeVpcsCommand({})).catch((e) => e);
    expect([500, 503]).toContain(err.$metadata?.httpStatusCode);
    expect(sim.calls()).toHaveLength(2);
    expect(sim.calls().every((call) => call.fault?.startsWith('server-error-') && call.status >= 500)).toBe(true);
    sim.clearCalls();
    sim.setFaults(undefined);
    await expectAwsError(retrying.logs.send(new PutRetentionPolicyCommand({ logGroupName: 'x', retentionInDays: 8 })), 'InvalidParameterException');
    expect(sim.calls()).toHaveLength(1);
  });

  it('is deterministic per seed', async () => {
    const run = async (seed: number) => {
      sim.setFaults({ seed, throttleRate: 0.25, serverErrorRate: 0.15, dropRate: 0.15 });
      sim.clearCalls();
      for (let i = 0; i < 30; i++) await c.ecs.send(new ListClustersCommand({})).catch(() => undefined);
      return sim.calls().map((call) => call.fault ?? 'ok');
    };
    const first = await run(42);
    expect(await run(42)).toEqual(first);
    expect(first).toContain('ok');
    expect(first).toContain('throttle');
    expect(first.some((f) => f.startsWith('drop-'))).toBe(true);
    expect(await run(43)).not.toEqual(first);
  });

  it('drops connections before or after moto executed the call', async () => {
    sim.setFaults({ seed: 7, dropRate: 1 });
    const names = Array.from({ length: 16 }, (_, i) => `/fp/drop-${i}`);
    for (const logGroupName of names) {
      const err: any = await c.logs.send(new CreateLogGroupCommand({ logGroupName })).catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err.$metadata?.httpStatusCode).toBeUndefined();
    }
    const faults = sim.calls().map((call) => call.fault);
    expect(new Set(faults)).toEqual(new Set(['drop-before', 'drop-after']));
    sim.setFaults(undefined);
    const existing = new Set(((await c.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/fp/drop-' }))).logGroups ?? []).map((g) => g.logGroupName));
    names.forEach((name, i) => expect(existing.has(name), `${name} (${faults[i]})`).toBe(faults[i] === 'drop-after'));
  });

  it('scripted faults hit the named action, in order, and then stop', async () => {
    sim.setFaults({ seed: 3, scripted: { CreateLogGroup: ['drop-after', 'throttle'] } });
    const created: string[] = [];
    for (const logGroupName of ['/fp/scripted-0', '/fp/scripted-1', '/fp/scripted-2']) {
      created.push(await c.logs.send(new CreateLogGroupCommand({ logGroupName })).then(() => 'fulfilled', () => 'rejected'));
    }
    await c.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/fp/scripted-' }));
    expect(sim.calls().map((call) => [call.action, call.fault ?? 'ok'])).toEqual([
      ['CreateLogGroup', 'drop-after'], ['CreateLogGroup', 'throttle'], ['CreateLogGroup', 'ok'], ['DescribeLogGroups', 'ok'],
    ]);
    expect(created).toEqual(['rejected', 'rejected', 'fulfilled']);
    sim.setFaults(undefined);
    const existing = ((await c.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/fp/scripted-' }))).logGroups ?? []).map((g) => g.logGroupName);
    // The dropped reply's call ran; the throttled one never reached moto.
    expect(existing.sort()).toEqual(['/fp/scripted-0', '/fp/scripted-2']);
  });

  it('refuses calls signed with an expired session token as each service does, without retries or reaching moto', async () => {
    const expired = 'sim-session-expired';
    // Three attempts allowed, so a retry would show in the calls.
    const withToken = (sessionToken: string) => {
      const config = { endpoint: sim.endpoint, region: REGION, credentials: { ...CREDENTIALS, sessionToken }, maxAttempts: 3 };
      return {
        ecs: new ECSClient(config), logs: new CloudWatchLogsClient(config), amp: new AmpClient(config), secrets: new SecretsManagerClient(config),
        iam: new IAMClient(config), elb: new ElasticLoadBalancingV2Client(config), ec2: new EC2Client(config),
      };
    };
    const old = withToken(expired);
    sim.expireSessionToken(expired, true);
    const message = /^The security token included in the request is expired$/;
    await expectAwsError(old.ecs.send(new CreateClusterCommand({ clusterName: 'expired' })), 'ExpiredTokenException', message);
    await expectAwsError(old.logs.send(new DescribeLogGroupsCommand({})), 'ExpiredTokenException', message);
    await expectAwsError(old.amp.send(new ListWorkspacesCommand({})), 'ExpiredTokenException', message);
    await expectAwsError(old.secrets.send(new ListSecretsCommand({})), 'ExpiredTokenException', message);
    await expectAwsError(old.iam.send(new CreateRoleCommand({ RoleName: 'expired', AssumeRolePolicyDocument: ECS_TRUST_POLICY })), 'ExpiredToken', message);
    await expectAwsError(old.elb.send(new DescribeLoadBalancersCommand({})), 'ExpiredToken', message);
    await expectAwsError(old.ec2.send(new DescribeVpcsCommand({})), 'RequestExpired');
    // One call each: the SDK does not retry them (a clock-skew retry needs a skewed Date header).
    expect(sim.calls().map((call) => [call.service, call.fault, call.status])).toEqual([
      ['ecs', 'expired-token', 403],
      ['logs', 'expired-token', 403],
      ['aps', 'expired-token', 403],
      ['secretsmanager', 'expired-token', 403],
      ['iam', 'expired-token', 403],
      ['elasticloadbalancing', 'expired-token', 403],
      ['ec2', 'expired-token', 400],
    ]);
    // Other credentials are unaffected; a refreshed token works again.
    await expect(withToken('sim-session-fresh').ecs.send(new ListClustersCommand({}))).resolves.toBeDefined();
    sim.expireSessionToken(expired, false);
    await expect(old.ecs.send(new ListClustersCommand({}))).resolves.toBeDefined();
    const clusters = (await c.ecs.send(new DescribeClustersCommand({ clusters: ['expired'] }))).clusters ?? [];
    expect(clusters.filter((cl) => cl.status === 'ACTIVE')).toEqual([]);
  });

  it('adds latency to every call', async () => {
    sim.setFaults({ seed: 1, latencyMs: 300 });
    const started = Date.now();
    await c.ecs.send(new ListClustersCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(sim.calls()[0]).toMatchObject({ service: 'ecs', action: 'ListClusters', mutating: false, status: 200 });
    expect(sim.calls()[0].fault).toBeUndefined();
  });
});

describe('sim: process lifecycle', () => {
  const motoPids = (port: string) => {
    try {
      return execFileSync('pgrep', ['-f', `moto_server -H 127.0.0.1 -p ${port}$`]).toString().trim().split('\n').filter(Boolean);
    } catch {
      return []; // pgrep exits 1 when nothing matches
    }
  };

  it('stop() kills moto and closes the proxy; it is idempotent', async () => {
    const sim = await startSimulation();
    const port = new URL(sim.motoEndpoint).port;
    expect(motoPids(port)).toHaveLength(1);
    expect((await fetch(`${sim.motoEndpoint}/moto-api/data.json`)).status).toBe(200);
    await sim.stop();
    expect(motoPids(port)).toEqual([]);
    await expect(fetch(`${sim.motoEndpoint}/moto-api/data.json`)).rejects.toThrow();
    await expect(fetch(`${sim.endpoint}/moto-api/data.json`)).rejects.toThrow();
    await sim.stop();
  });

  it('explains how to install moto when moto_server is not on PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startSimulation()).rejects.toThrow(/pip install 'moto\[server\]'/);
    } finally {
      process.env.PATH = path;
    }
  });
});
