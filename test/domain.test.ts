import { beforeAll, describe, expect, it } from 'vitest';
import { ACMClient, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { CREDENTIALS, expectAwsError, REGION } from './support/sim-fixtures.js';
import { withStack } from './support/stack.js';

// HTTPS under the user's own domain (an ACM certificate never covers the ALB's name), and the Route 53
// alias record that points the domain at the ALB. Read back from moto, past the simulation's rules.

const stack = withStack();
const { cli } = stack;
let route53: Route53Client;
let motoRoute53: Route53Client;
let acm: ACMClient;
const IMAGE = ['--app-image', 'ghcr.io/acme/shop:1.4', '--desired-count', '1', '--yes'];
const certificate = async (DomainName: string, SubjectAlternativeNames?: string[]) =>
  (await acm.send(new RequestCertificateCommand({ DomainName, SubjectAlternativeNames }))).CertificateArn!;
const zone = async (Name: string, ref: string) =>
  (await route53.send(new CreateHostedZoneCommand({ Name, CallerReference: ref }))).HostedZone!.Id!.replace('/hostedzone/', '');
const records = async (zoneId: string) =>
  (await motoRoute53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets!.filter((r) => r.Type === 'A');
const alb = async (name: string) => (await stack.moto.elb.send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers![0];
const rootUrl = async (family: string) => {
  const td = (await stack.moto.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }))).taskDefinition!;
  return td.containerDefinitions![0].environment!.find((e) => e.name === 'GF_SERVER_ROOT_URL')!.value;
};

beforeAll(() => {
  const config = { endpoint: stack.sim.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 };
  route53 = new Route53Client(config);
  motoRoute53 = new Route53Client({ ...config, endpoint: stack.sim.motoEndpoint });
  acm = new ACMClient(config);
});

describe('a certificate for a name in a public hosted zone', () => {
  let zoneId: string;
  let up: any;
  let cert: string;

  beforeAll(async () => {
    zoneId = await zone('example.com', 'public-example');
    // A private zone of the same name must never get the record: it does not resolve from the internet.
    await route53.send(new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: 'private-example', VPC: { VPCRegion: REGION, VPCId: 'vpc-12345678' }, HostedZoneConfig: { PrivateZone: true, Comment: 'private' } }));
  });

  it('up serves https://<its name>/ (the domain defaults to the certificate\'s) and makes the alias record', async () => {
    cert = await certificate('shop.example.com');
    const run = await cli(['up', '--name', 'dns', ...IMAGE, '--certificate-arn', cert, '--json']);
    expect(run.code, run.stderr).toBe(0);
    up = run.json();
    expect(up.app.url).toBe('https://shop.example.com/');
    expect(up.grafana.url).toBe('https://shop.example.com/dashboard/');
    expect(up.dns).toEqual({ domain: 'shop.example.com', zoneId });
    expect(await rootUrl('dns-grafana')).toBe('https://shop.example.com/dashboard/');

    const lb = await alb('dns-alb');
    const [record] = await records(zoneId);
    expect(record.Name).toBe('shop.example.com.');
    expect(record.AliasTarget?.DNSName?.replace(/\.$/, '')).toBe(lb.DNSName);
    // The ALB's own zone, not the record's.
    expect(record.AliasTarget?.HostedZoneId).toBe(lb.CanonicalHostedZoneId);
    expect(record.AliasTarget?.HostedZoneId).not.toBe(zoneId);
  });

  it('a second up makes no mutating call', async () => {
    const again = await cli(['up', '--name', 'dns', ...IMAGE, '--certificate-arn', cert, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().aws.mutatingCalls).toBe(0);
    expect(again.json().resources.find((r: any) => r.kind === 'dns-record')).toMatchObject({ name: 'shop.example.com', action: 'unchanged' });
  });

  it('status reports the https URLs on the domain and the record', async () => {
    const run = await cli(['status', '--name', 'dns', '--json']);
    const status = run.json();
    expect(status.grafana.url).toBe('https://shop.example.com/dashboard/');
    expect(status.resources.find((r: any) => r.kind === 'dns-record')).toMatchObject({ name: 'shop.example.com', healthy: true });
  });

  it('destroy deletes the record it made', async () => {
    const down = await cli(['destroy', '--name', 'dns', '--yes', '--json']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.json().resources.find((r: any) => r.kind === 'dns-record')).toMatchObject({ action: 'delete' });
    expect(await records(zoneId)).toEqual([]);
  });
});

describe('a wildcard certificate and --domain', () => {
  let zoneId: string;
  let wildcard: string;

  beforeAll(async () => {
    zoneId = await zone('corp.test', 'public-corp');
    wildcard = await certificate('*.corp.test');
  });

  it.each([
    [[], /^error: --domain: the certificate is for \*\.corp\.test, a wildcard; pass the host to serve under, e\.g\. --domain grafana\.corp\.test$/m],
    [['--domain', 'a.b.corp.test'], /^error: --domain: the certificate covers \*\.corp\.test but not a\.b\.corp\.test; /m],
    [['--domain', 'corp.test'], /^error: --domain: the certificate covers \*\.corp\.test but not corp\.test; /m],
  ])('%j: exit 2 naming both, before any change', async (extra, message) => {
    stack.sim.clearCalls();
    const run = await cli(['up', '--name', 'wild', ...IMAGE, '--certificate-arn', wildcard, ...extra]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(stack.sim.calls().filter((c) => c.mutating)).toEqual([]);
  });

  it('--domain of bad shape or without a certificate: exit 2 before any AWS call', async () => {
    stack.sim.clearCalls();
    const bad = await cli(['up', '--name', 'wild', ...IMAGE, '--certificate-arn', wildcard, '--domain', 'https://x.corp.test']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --domain: "https:\/\/x\.corp\.test" is not a host name; /m);
    const alone = await cli(['up', '--name', 'wild', ...IMAGE, '--domain', 'x.corp.test']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/^error: --domain: it names the HTTPS host, which needs a certificate; add --certificate-arn/m);
    expect(stack.sim.calls()).toEqual([]);
  });

  it('a record of the name pointing elsewhere: up refuses it, and destroy leaves a repointed record alone', async () => {
    // Someone else's record at the name: not this stack's, so up must not take it over.
    await route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: { Name: 'taken.corp.test', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '203.0.113.7' }] } }] } }));
    const refused = await cli(['up', '--name', 'wild', ...IMAGE, '--certificate-arn', wildcard, '--domain', 'taken.corp.test']);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/not owned by this stack: dns-record taken\.corp\.test \(taken\.corp\.test A → 203\.0\.113\.7\)/);
    expect((await records(zoneId)).map((r) => r.ResourceRecords?.[0]?.Value)).toEqual(['203.0.113.7']);

    const made = await cli(['up', '--name', 'wild', ...IMAGE, '--certificate-arn', wildcard, '--domain', 'grafana.corp.test', '--json']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.json().grafana.url).toBe('https://grafana.corp.test/dashboard/');
    const ours = (await records(zoneId)).find((r) => r.Name === 'grafana.corp.test.')!;
    expect(ours.AliasTarget?.HostedZoneId).toBe((await alb('wild-alb')).CanonicalHostedZoneId);
    // Repointed by hand after up: it is no longer the stack's to delete.
    await route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'grafana.corp.test', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '198.51.100.9' }] } }] } }));
    const down = await cli(['destroy', '--name', 'wild', '--yes', '--json']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.json().resources.find((r: any) => r.kind === 'dns-record')).toMatchObject({ action: 'skipped' });
    expect((await records(zoneId)).map((r) => `${r.Name} ${r.ResourceRecords?.[0]?.Value}`).sort()).toEqual(['grafana.corp.test. 198.51.100.9', 'taken.corp.test. 203.0.113.7']);
  });
});

describe('no hosted zone for the domain', () => {
  it('up prints the record to create and reports the https URL on the domain', async () => {
    const cert = await certificate('metrics.elsewhere.test');
    stack.sim.clearCalls();
    const run = await cli(['up', '--name', 'nozone', ...IMAGE, '--certificate-arn', cert]);
    expect(run.code, run.stderr).toBe(0);
    const lb = await alb('nozone-alb');
    expect(run.stdout).toContain('Grafana:  https://metrics.elsewhere.test/dashboard/');
    expect(run.stdout).toContain('no public Route 53 hosted zone of this account holds metrics.elsewhere.test; create this record at its DNS provider:');
    expect(run.stdout).toContain(`metrics.elsewhere.test  CNAME  ${lb.DNSName}   (in Route 53: an alias A record, alias zone ${lb.CanonicalHostedZoneId})`);
    expect(stack.sim.calls().filter((c) => c.action === 'ChangeResourceRecordSets')).toEqual([]);
    expect(await rootUrl('nozone-grafana')).toBe('https://metrics.elsewhere.test/dashboard/');
  });
});

describe('the simulation: Route 53 checks moto skips', () => {
  it('an alias to an ALB in a zone that is not its canonical one, a CREATE over a record, a DELETE with other values', async () => {
    const zoneId = await zone('sim.test', 'sim-rules');
    const lb = await alb('nozone-alb');
    const change = (Action: 'CREATE' | 'DELETE', HostedZoneId: string, DNSName = lb.DNSName!) =>
      route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [{ Action, ResourceRecordSet: { Name: 'a.sim.test', Type: 'A', AliasTarget: { DNSName, HostedZoneId, EvaluateTargetHealth: false } } }] } }));
    await expectAwsError(change('CREATE', zoneId), 'InvalidChangeBatch', /the alias target name does not lie within the target zone/);
    await change('CREATE', lb.CanonicalHostedZoneId!);
    await expectAwsError(change('CREATE', lb.CanonicalHostedZoneId!), 'InvalidChangeBatch', /but it already exists/);
    await expectAwsError(change('DELETE', lb.CanonicalHostedZoneId!, 'other.example.'), 'InvalidChangeBatch', /do not match the current values/);
    await change('DELETE', lb.CanonicalHostedZoneId!);
    await expectAwsError(change('DELETE', lb.CanonicalHostedZoneId!), 'InvalidChangeBatch', /but it was not found/);
  });
});
