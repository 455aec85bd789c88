import { AmpClient } from '@aws-sdk/client-amp';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { EFSClient } from '@aws-sdk/client-efs';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { expect } from 'vitest';
import type { Simulation } from '@fargate-prom/aws-sim/testing';

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export function simClients(endpoint: string, maxAttempts = 1) {
  const config = { endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts };
  return {
    ecs: new ECSClient(config),
    ec2: new EC2Client(config),
    elb: new ElasticLoadBalancingV2Client(config),
    iam: new IAMClient(config),
    logs: new CloudWatchLogsClient(config),
    amp: new AmpClient(config),
    secrets: new SecretsManagerClient(config),
    efs: new EFSClient(config),
  };
}
export type SimClients = ReturnType<typeof simClients>;

export async function resetMoto(sim: Simulation): Promise<void> {
  // Through the proxy, so the simulation forgets its own state as well.
  const res = await fetch(`${sim.endpoint}/moto-api/reset`, { method: 'POST' });
  expect(res.status).toBe(200);
}

/** Rejects with an AWS error of this SDK name (and message fragment). Returns the error. */
export async function expectAwsError(call: Promise<unknown>, name: string, message?: string | RegExp): Promise<any> {
  const err: any = await call.then(
    () => undefined,
    (e) => e,
  );
  expect(err, `expected ${name}, but the call succeeded`).toBeDefined();
  expect(err.name, `${err.name}: ${err.message}`).toBe(name);
  if (message) expect(err.message).toMatch(message);
  return err;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until check() returns a truthy value, or fails after timeoutMs. The one poller of the tests:
 * a check that throws says why it is not done yet (with what it last saw), and the failure repeats
 * the last such message.
 */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition', intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.max(0, Math.min(intervalMs, deadline - Date.now())));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export async function defaultNetwork(c: SimClients) {
  const vpc = (await c.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0];
  const subnets = (await c.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId!] }] }))).Subnets!;
  return { vpcId: vpc.VpcId!, cidr: vpc.CidrBlock!, subnets };
}

export async function createSecurityGroup(c: SimClients, vpcId: string, name: string): Promise<string> {
  return (await c.ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpcId }))).GroupId!;
}

export async function allowFrom(c: SimClients, groupId: string, sourceGroupId: string, port: number): Promise<void> {
  await c.ec2.send(new AuthorizeSecurityGroupIngressCommand({
    GroupId: groupId,
    IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, UserIdGroupPairs: [{ GroupId: sourceGroupId }] }],
  }));
}

export async function createIpTargetGroup(c: SimClients, vpcId: string, name: string): Promise<string> {
  const out = await c.elb.send(new CreateTargetGroupCommand({
    Name: name, Protocol: 'HTTP', Port: 8080, VpcId: vpcId, TargetType: 'ip', HealthCheckPath: '/metrics',
  }));
  return out.TargetGroups![0].TargetGroupArn!;
}

/** An internet-facing ALB on two subnets with an HTTP :80 listener forwarding to the target group. */
export async function createAlbWithListener(c: SimClients, name: string, subnetIds: string[], securityGroupId: string, targetGroupArn: string) {
  const lb = (await c.elb.send(new CreateLoadBalancerCommand({
    Name: name, Subnets: subnetIds.slice(0, 2), SecurityGroups: [securityGroupId], Scheme: 'internet-facing', Type: 'application',
  }))).LoadBalancers![0];
  const listener = (await c.elb.send(new CreateListenerCommand({
    LoadBalancerArn: lb.LoadBalancerArn!, Protocol: 'HTTP', Port: 80,
    DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
  }))).Listeners![0];
  return { loadBalancerArn: lb.LoadBalancerArn!, listenerArn: listener.ListenerArn! };
}

export const ECS_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** A valid Fargate ARM64 task definition input (app container with awslogs). */
export function fargateTaskDefinition(family: string, executionRoleArn: string, logGroup: string): any {
  return {
    family,
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'ARM64' },
    executionRoleArn,
    containerDefinitions: [
      {
        name: 'app',
        image: 'public.ecr.aws/docker/library/node:20',
        essential: true,
        portMappings: [{ containerPort: 8080 }],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': logGroup, 'awslogs-region': REGION, 'awslogs-stream-prefix': 'app' } },
      },
    ],
  };
}
