// The ALB keeps the app's metrics path to itself: a fixed-response 404 rule on the listener that
// forwards to the app, switched off and on again with --public-metrics, moved with HTTPS, and removed
// by destroy. Driven through the built CLI; every check reads the rules back from moto itself.
import { describe, expect, it } from 'vitest';
import { ACMClient, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeRulesCommand, type Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CREDENTIALS, REGION } from './support/sim-fixtures.js';
import { describeAll, readStack } from './support/reliability-stack.js';
import { withStack } from './support/stack.js';

const STACK = 'mrule';
const stack = withStack();
const up = (...extra: string[]) =>
  stack.cli(['up', '--name', STACK, '--app-image', 'ghcr.io/acme/shop:1.4', '--desired-count', '1', '--yes', '--json', ...extra]);

/** Every non-default rule of the stack's ALB, by listener port, read from stack.moto. */
async function rulesByPort(): Promise<Record<number, Rule[]>> {
  const lb = (await stack.moto.elb.send(new DescribeLoadBalancersCommand({ Names: [`${STACK}-alb`] }))).LoadBalancers![0];
  const listeners = (await stack.moto.elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners!;
  const out: Record<number, Rule[]> = {};
  for (const l of listeners) out[l.Port!] = (await stack.moto.elb.send(new DescribeRulesCommand({ ListenerArn: l.ListenerArn }))).Rules!.filter((r) => !r.IsDefault);
  return out;
}

const metricsRules = (rules: Rule[] = []) => rules.filter((r) => r.Actions?.[0]?.Type === 'fixed-response');
const blocking = (...paths: string[]) => expect.objectContaining({
  Priority: '5',
  Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: paths } }],
  Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' } }],
});
const mutatingCalls = () => stack.sim.calls().filter((c) => c.mutating).map((c) => c.action);
const ruleReport = (run: { json(): any }) => run.json().resources.find((r: any) => r.kind === 'listener-rule' && r.name !== '/dashboard');

describe('the metrics rule through a stack\'s life', () => {
  it('up --public-metrics makes no metrics rule; only /dashboard is routed', async () => {
    const run = await up('--public-metrics');
    expect(run.code, run.stderr).toBe(0);
    const rules = await rulesByPort();
    expect(Object.keys(rules)).toEqual(['80']);
    expect(metricsRules(rules[80])).toEqual([]);
    expect(rules[80].map((r) => r.Priority)).toEqual(['10']);
    expect(ruleReport(run)).toMatchObject({ id: 'none', action: 'unchanged' });
  });

  it('up --public-metrics again changes nothing, with no mutating call', async () => {
    stack.sim.clearCalls();
    const run = await up('--public-metrics');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().resources.filter((r: any) => r.action !== 'unchanged')).toEqual([]);
    expect(mutatingCalls()).toEqual([]);
  });

  it('status shows the rule as none, and healthy', async () => {
    const run = await stack.cli(['status', '--name', STACK, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().resources.find((r: any) => r.name === 'metrics path → 404')).toMatchObject({ state: 'none', healthy: true });
  });

  it('up without --public-metrics adds the 404 rule for the metrics path and nothing else', async () => {
    stack.sim.clearCalls();
    const run = await up();
    expect(run.code, run.stderr).toBe(0);
    expect(mutatingCalls()).toEqual(['CreateRule']);
    expect(ruleReport(run)).toMatchObject({ action: 'create', id: expect.stringContaining(':listener-rule/') });
    expect(metricsRules((await rulesByPort())[80])).toEqual([blocking('/metrics', '/metrics/*')]);
  });

  it('a second up changes nothing, with no mutating call', async () => {
    stack.sim.clearCalls();
    const run = await up();
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().resources.filter((r: any) => r.action !== 'unchanged')).toEqual([]);
    expect(mutatingCalls()).toEqual([]);
  });

  it('a changed --metrics-path modifies the same rule in place', async () => {
    const [before] = metricsRules((await rulesByPort())[80]);
    stack.sim.clearCalls();
    const run = await up('--metrics-path', '/internal/prom', '--health-path', '/metrics');
    expect(run.code, run.stderr).toBe(0);
    expect(mutatingCalls().filter((a) => a.endsWith('Rule'))).toEqual(['ModifyRule']);
    const after = metricsRules((await rulesByPort())[80]);
    expect(after).toEqual([blocking('/internal/prom', '/internal/prom/*')]);
    expect(after[0].RuleArn).toBe(before.RuleArn);
  });

  it('--public-metrics on the existing stack deletes the rule', async () => {
    stack.sim.clearCalls();
    const run = await up('--metrics-path', '/internal/prom', '--health-path', '/metrics', '--public-metrics');
    expect(run.code, run.stderr).toBe(0);
    expect(mutatingCalls()).toEqual(['DeleteRule']);
    expect(ruleReport(run)).toMatchObject({ action: 'update', id: 'none' });
    expect(metricsRules((await rulesByPort())[80])).toEqual([]);
  });

  it('with a certificate the rule sits on :443, which forwards to the app; :80 only redirects', async () => {
    const acm = new ACMClient({ endpoint: stack.sim.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
    const cert = (await acm.send(new RequestCertificateCommand({ DomainName: 'shop.example.com' }))).CertificateArn!;
    const run = await up('--certificate-arn', cert);
    expect(run.code, run.stderr).toBe(0);
    const rules = await rulesByPort();
    expect(metricsRules(rules[443])).toEqual([blocking('/metrics', '/metrics/*')]);
    expect(rules[80]).toEqual([]);
    // Back to plain HTTP: the rule moves back to :80.
    const back = await up();
    expect(back.code, back.stderr).toBe(0);
    const after = await rulesByPort();
    expect(Object.keys(after)).toEqual(['80']);
    expect(metricsRules(after[80])).toEqual([blocking('/metrics', '/metrics/*')]);
  });

  it('destroy deletes the rule with the rest; nothing is left in moto', async () => {
    const run = await stack.cli(['destroy', '--name', STACK, '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().resources.find((r: any) => r.name === 'metrics path → 404')).toMatchObject({ action: 'delete' });
    expect(describeAll(await readStack(stack.moto, STACK))).toEqual([]);
  });
});

describe('--metrics-path values the rule cannot block safely (exit 2, before any AWS call)', () => {
  const cases: Array<[string, RegExp]> = [
    ['/', /--metrics-path: the ALB would answer 404 to every path of the app/],
    ['/dashboard/metrics', /--metrics-path: .*would hide Grafana/],
    ['/m*', /--metrics-path: "\*" is a wildcard/],
    [`/${'m'.repeat(126)}`, /--metrics-path: ALB path patterns hold 128 characters/],
  ];
  for (const [path, message] of cases) {
    it(`${path.slice(0, 20)}: refused, with --public-metrics as the way out`, async () => {
      stack.sim.clearCalls();
      const run = await up('--metrics-path', path);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toContain('--public-metrics');
      expect(stack.sim.calls()).toEqual([]);
    });
  }
});
