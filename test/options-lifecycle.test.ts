import { beforeAll, describe, expect, it } from 'vitest';
import { ACMClient, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { parse as parseYaml } from 'yaml';
import { CREDENTIALS, defaultNetwork, REGION } from './support/sim-fixtures.js';
import { describeAll, readStack } from './support/reliability-stack.js';
import { withStack } from './support/stack.js';

// Non-default values of up's options, driven through the real CLI and checked through the SDK.

// stack.moto: straight to moto, past the simulation: what is really left.
const stack = withStack();
const { cli } = stack;
const IMAGE = ['--app-image', 'ghcr.io/acme/shop:1.4'];

const securityGroup = async (name: string) =>
  (await stack.aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [name] }] }))).SecurityGroups![0];
const ingress = (g: Awaited<ReturnType<typeof securityGroup>>) =>
  g.IpPermissions!.flatMap((p) => (p.IpRanges ?? []).map((r) => `${p.FromPort}-${p.ToPort} ${r.CidrIp}`)).sort();
const envOf = (c: { environment?: { name?: string; value?: string }[] }) => Object.fromEntries((c.environment ?? []).map((e) => [e.name, e.value]));

describe('--certificate-arn: HTTPS on 443, port 80 redirects', () => {
  let CERT: string;
  let up: any;

  beforeAll(async () => {
    // A certificate that exists in the sim's ACM (an ALB refuses one that does not): arn:aws:acm:us-east-1:<account>:certificate/<uuid>.
    const acm = new ACMClient({ endpoint: stack.sim.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    CERT = (await acm.send(new RequestCertificateCommand({ DomainName: 'shop.example.com' }))).CertificateArn!;
    expect(CERT).toMatch(/^arn:aws:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/);
  });

  it('up builds the HTTPS listener and reports https URLs', async () => {
    const run = await cli(['up', '--name', 'tls', ...IMAGE, '--desired-count', '1', '--certificate-arn', CERT, '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    up = run.json();
    // The certificate's name, not the ALB's (which no certificate covers); no hosted zone holds it here.
    expect(up.app.url).toBe('https://shop.example.com/');
    expect(up.grafana.url).toBe(`${up.app.url}dashboard/`);
    expect(run.stderr).not.toMatch(/no --certificate-arn/);
  });

  it('the ALB security group admits 443 and 80 (for the redirect)', async () => {
    expect(ingress(await securityGroup('tls-alb'))).toEqual(['443-443 0.0.0.0/0', '80-80 0.0.0.0/0']);
  });

  it('443 is HTTPS with a TLS policy and the certificate, forwards to the app and carries /dashboard; 80 is a 301 to 443', async () => {
    const lb = (await stack.aws.elb.send(new DescribeLoadBalancersCommand({ Names: ['tls-alb'] }))).LoadBalancers![0];
    const listeners = (await stack.aws.elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners!;
    expect(listeners.map((l) => l.Port).sort((a, b) => a! - b!)).toEqual([80, 443]);
    const https = listeners.find((l) => l.Port === 443)!;
    const http = listeners.find((l) => l.Port === 80)!;
    const tgs = (await stack.aws.elb.send(new DescribeTargetGroupsCommand({ Names: ['tls-app', 'tls-grafana'] }))).TargetGroups!;
    const tgArn = (name: string) => tgs.find((t) => t.TargetGroupName === name)!.TargetGroupArn;

    expect(https.Protocol).toBe('HTTPS');
    expect(https.SslPolicy).toMatch(/^ELBSecurityPolicy-/);
    expect(https.Certificates!.map((c) => c.CertificateArn)).toEqual([CERT]);
    expect(https.DefaultActions).toEqual([expect.objectContaining({ Type: 'forward', TargetGroupArn: tgArn('tls-app') })]);

    expect(http.Protocol).toBe('HTTP');
    expect(http.DefaultActions).toEqual([expect.objectContaining({
      Type: 'redirect',
      RedirectConfig: expect.objectContaining({ Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' }),
    })]);

    const rules = async (arn: string) => (await stack.aws.elb.send(new DescribeRulesCommand({ ListenerArn: arn }))).Rules!.filter((r) => !r.IsDefault);
    const onHttps = Object.fromEntries((await rules(https.ListenerArn!)).map((r) => [r.Priority, r]));
    expect(Object.keys(onHttps).sort()).toEqual(['10', '5']);
    const [metrics, dashboard] = [onHttps['5'], onHttps['10']];
    // The listener that forwards to the app keeps the metrics path to itself.
    expect(metrics.Actions).toEqual([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' } }]);
    expect(metrics.Conditions![0].PathPatternConfig?.Values).toEqual(['/metrics', '/metrics/*']);
    expect(dashboard.Conditions![0].PathPatternConfig?.Values ?? dashboard.Conditions![0].Values).toEqual(['/dashboard', '/dashboard/*']);
    expect(dashboard.Actions![0].TargetGroupArn ?? dashboard.Actions![0].ForwardConfig?.TargetGroups?.[0].TargetGroupArn).toBe(tgArn('tls-grafana'));
    // Nothing is served over plain HTTP: the redirect is all port 80 has.
    expect(await rules(http.ListenerArn!)).toEqual([]);
  });

  it("Grafana's root URL is https", async () => {
    const td = (await stack.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'tls-grafana' }))).taskDefinition!;
    expect(envOf(td.containerDefinitions![0]).GF_SERVER_ROOT_URL).toBe(up.grafana.url);
    expect(up.grafana.url).toMatch(/^https:\/\//);
  });

  it('status reports the https URLs, in JSON and text', async () => {
    const json = await cli(['status', '--name', 'tls', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.json().app.url).toBe(up.app.url);
    expect(json.json().grafana.url).toBe(up.grafana.url);
    const text = await cli(['status', '--name', 'tls']);
    expect(text.stdout).toContain(`App:      ${up.app.url}`);
    expect(text.stdout).toContain(`Grafana:  ${up.grafana.url}`);
  });

  it('a second up with the same certificate changes nothing; destroy removes it all', async () => {
    const again = await cli(['up', '--name', 'tls', ...IMAGE, '--desired-count', '1', '--certificate-arn', CERT, '--yes', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().resources.filter((r: any) => r.action !== 'unchanged')).toEqual([]);
    const down = await cli(['destroy', '--name', 'tls', '--yes', '--json']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.json().leftovers).toEqual([]);
    // Checked in moto, not through the CLI: nothing of any kind tagged or named as the stack is left.
    expect(describeAll(await readStack(stack.moto, 'tls'))).toEqual([]);
  });
});

describe('non-default values of the other options', () => {
  let subnets: string[];
  let vpcId: string;
  const OPTS = ['--health-path', '/healthz', '--metrics-path', '/prom', '--cpu', '512', '--memory', '1024', '--grafana-image', 'grafana/grafana:11.6.1', '--desired-count', '1'];
  const upWith = (...extra: string[]) =>
    cli(['up', '--name', 'opts', ...IMAGE, ...OPTS, '--vpc-id', vpcId, '--subnet-ids', subnets.join(','), '--yes', '--json', ...extra]);
  const changed = (run: { json(): any }) => run.json().resources.filter((r: any) => r.action !== 'unchanged').map((r: any) => `${r.action} ${r.kind} ${r.name}`);

  it('up with --vpc-id and two of its subnets, --allow-cidr, --log-retention and the rest', async () => {
    const net = await defaultNetwork(stack.aws);
    vpcId = net.vpcId;
    // Two subnets in two zones, out of the several the default VPC has: the stack must use exactly these.
    const byZone = new Map(net.subnets.map((s) => [s.AvailabilityZone!, s.SubnetId!]));
    subnets = [...byZone.values()].slice(0, 2).sort();
    expect(net.subnets.length).toBeGreaterThan(2);
    const run = await upWith('--allow-cidr', '203.0.113.0/24', '--log-retention', '14');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/accepts traffic from anywhere/);
  });

  it('the ALB admits only the allowed CIDR', async () => {
    expect(ingress(await securityGroup('opts-alb'))).toEqual(['80-80 203.0.113.0/24']);
  });

  it('log groups keep 14 days', async () => {
    const logs = (await stack.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/fargate-prom/opts/' }))).logGroups!;
    expect(logs.map((l) => [l.logGroupName, l.retentionInDays])).toEqual([
      ['/fargate-prom/opts/agent', 14], ['/fargate-prom/opts/app', 14], ['/fargate-prom/opts/grafana', 14],
    ]);
  });

  it('the target group checks the health path while the agent scrapes the metrics path', async () => {
    const tg = (await stack.aws.elb.send(new DescribeTargetGroupsCommand({ Names: ['opts-app'] }))).TargetGroups![0];
    expect(tg.HealthCheckPath).toBe('/healthz');
    const td = (await stack.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'opts-app' }))).taskDefinition!;
    const agent = td.containerDefinitions!.find((c) => c.name === 'prometheus-agent')!;
    const config = parseYaml(envOf(agent).PROM_AGENT_CONFIG!);
    expect(config.scrape_configs[0].metrics_path).toBe('/prom');
    expect(config.scrape_configs[0].static_configs).toEqual([{ targets: ['localhost:8080'] }]);
  });

  it('task size, Grafana image, VPC and subnets are as asked', async () => {
    const app = (await stack.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'opts-app' }))).taskDefinition!;
    expect([app.cpu, app.memory]).toEqual(['512', '1024']);
    const grafana = (await stack.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'opts-grafana' }))).taskDefinition!;
    expect(grafana.containerDefinitions![0].image).toBe('grafana/grafana:11.6.1');

    const services = (await stack.aws.ecs.send(new DescribeServicesCommand({ cluster: 'opts', services: ['opts-app', 'opts-grafana'] }))).services!;
    for (const s of services) expect([...s.networkConfiguration!.awsvpcConfiguration!.subnets!].sort()).toEqual(subnets);
    const lb = (await stack.aws.elb.send(new DescribeLoadBalancersCommand({ Names: ['opts-alb'] }))).LoadBalancers![0];
    expect(lb.VpcId).toBe(vpcId);
    expect(lb.AvailabilityZones!.map((z) => z.SubnetId).sort()).toEqual(subnets);
    const tgs = (await stack.aws.elb.send(new DescribeTargetGroupsCommand({ Names: ['opts-app', 'opts-grafana'] }))).TargetGroups!;
    expect(tgs.map((t) => t.VpcId)).toEqual([vpcId, vpcId]);
    expect((await securityGroup('opts-tasks')).VpcId).toBe(vpcId);
  });

  it('a changed --allow-cidr replaces the rule and changes nothing else', async () => {
    const run = await upWith('--allow-cidr', '198.51.100.0/24', '--log-retention', '14');
    expect(run.code, run.stderr).toBe(0);
    expect(changed(run)).toEqual(['update security-group opts-alb']);
    expect(ingress(await securityGroup('opts-alb'))).toEqual(['80-80 198.51.100.0/24']);
  });

  it('a changed --log-retention updates the three log groups and nothing else', async () => {
    stack.sim.clearCalls();
    const run = await upWith('--allow-cidr', '198.51.100.0/24', '--log-retention', '30');
    expect(run.code, run.stderr).toBe(0);
    expect(changed(run).sort()).toEqual([
      'update log-group /fargate-prom/opts/agent', 'update log-group /fargate-prom/opts/app', 'update log-group /fargate-prom/opts/grafana',
    ]);
    expect(stack.sim.calls().filter((c) => c.mutating).map((c) => c.action)).toEqual(['PutRetentionPolicy', 'PutRetentionPolicy', 'PutRetentionPolicy']);
    const logs = (await stack.aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/fargate-prom/opts/' }))).logGroups!;
    expect(logs.map((l) => l.retentionInDays)).toEqual([30, 30, 30]);
  });

  it('destroy removes it all', async () => {
    const down = await cli(['destroy', '--name', 'opts', '--yes', '--json']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.json().leftovers).toEqual([]);
    // Checked in moto, not through the CLI: nothing of any kind tagged or named as the stack is left.
    expect(describeAll(await readStack(stack.moto, 'opts'))).toEqual([]);
  });
});
