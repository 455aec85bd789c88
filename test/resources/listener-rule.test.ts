import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RawOptions } from '../../src/config/options.js';
import type { RuleState } from '../../src/resources/listener-rule.js';
import { STACK_TAG_KEY } from '../../src/stack/spec.js';
import { stackResources } from '../../src/stack/resources.js';
import { inputsOf, resourceContext } from '../support/resource-context.js';

// diff and update of the stack's two listener rules (/dashboard → Grafana, metrics path → 404) against a
// mocked ELB: modified in place when only paths or action differ, replaced when the listener that
// carries the app changes (a rule cannot move), removed when the options ask for none.
const elb = mockClient(ElasticLoadBalancingV2Client);
afterEach(() => elb.reset());

const ELB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
const HTTP = `${ELB}:listener/app/unit/0a1b/80aa`;
const HTTPS = `${ELB}:listener/app/unit/0a1b/443b`;
const GRAFANA_TG = `${ELB}:targetgroup/unit-grafana/0123456789abcdef`;
const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';
const NOT_FOUND = 'fixed-response 404 text/plain "Not Found"';

/** The stack's rules, with the listeners (HTTPS too when a certificate is given) and Grafana's target group as up has them. */
function rules(flags: RawOptions = {}) {
  const ctx = resourceContext(flags);
  const stack = stackResources(ctx.spec);
  const listeners = [{ arn: HTTP, port: 80, summary: '' }, ...(flags.certificateArn ? [{ arn: HTTPS, port: 443, summary: '' }] : [])];
  ctx.states.set(stack.listeners, { loadBalancerArn: `${ELB}:loadbalancer/app/unit/0a1b`, listeners });
  ctx.states.set(stack.grafanaTargetGroup, { name: 'unit-grafana', arn: GRAFANA_TG });
  return { ctx, dashboard: stack.dashboardRule, metrics: stack.metricsRule };
}

const dashboardOn = (listenerArn: string): RuleState => ({ arn: `${ELB}:listener-rule/app/unit/0a1b/dash`, listenerArn, paths: ['/dashboard', '/dashboard/*'], action: `forward ${GRAFANA_TG}` });
const metricsOn = (listenerArn: string, paths = ['/metrics', '/metrics/*']): RuleState => ({ arn: `${ELB}:listener-rule/app/unit/0a1b/metr`, listenerArn, paths, action: NOT_FOUND });

describe('listener rule diff and update', () => {
  it('unchanged: no difference, and update sends nothing', async () => {
    const { ctx, dashboard, metrics } = rules();
    expect(await dashboard.diff(ctx, dashboardOn(HTTP))).toEqual([]);
    expect(await metrics.diff(ctx, metricsOn(HTTP))).toEqual([]);
    expect(elb.calls()).toHaveLength(0);
  });

  it('another --metrics-path: diff names the paths, update modifies the rule in place with the new paths and the 404', async () => {
    elb.on(ModifyRuleCommand).resolves({});
    const { ctx, metrics } = rules({ metricsPath: '/internal/metrics' });
    const before = metricsOn(HTTP);
    expect(await metrics.diff(ctx, before)).toEqual(['paths: ["/metrics","/metrics/*"] → ["/internal/metrics","/internal/metrics/*"]']);
    const after = await metrics.update(ctx, before, []);
    expect(inputsOf(elb.commandCalls(ModifyRuleCommand))).toEqual([{
      RuleArn: before.arn,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/internal/metrics', '/internal/metrics/*'] } }],
      Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' } }],
    }]);
    expect(elb.commandCalls(DeleteRuleCommand)).toHaveLength(0);
    expect(after).toEqual(metricsOn(HTTP, ['/internal/metrics', '/internal/metrics/*']));
  });

  it('a /dashboard rule forwarding elsewhere: update points it back at Grafana\'s target group', async () => {
    elb.on(ModifyRuleCommand).resolves({});
    const { ctx, dashboard } = rules();
    const drifted = { ...dashboardOn(HTTP), action: `forward ${ELB}:targetgroup/unit-app/fedcba9876543210` };
    expect(await dashboard.diff(ctx, drifted)).toEqual([`action: forward ${ELB}:targetgroup/unit-app/fedcba9876543210 → forward ${GRAFANA_TG}`]);
    await dashboard.update(ctx, drifted, []);
    expect(inputsOf(elb.commandCalls(ModifyRuleCommand))).toMatchObject([{ RuleArn: drifted.arn, Actions: [{ Type: 'forward', TargetGroupArn: GRAFANA_TG }] }]);
  });

  it('HTTPS added: the rule must sit on :443 now, so update deletes the :80 one and creates it there, tagged', async () => {
    elb.on(DeleteRuleCommand).resolves({});
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: `${ELB}:listener-rule/app/unit/0a1b/new` }] });
    const { ctx, dashboard } = rules({ certificateArn: CERT });
    const before = dashboardOn(HTTP);
    expect(await dashboard.diff(ctx, before)).toEqual([`listener: ${HTTP} → ${HTTPS}`]);
    const after = await dashboard.update(ctx, before, []);
    expect(inputsOf(elb.commandCalls(DeleteRuleCommand))).toEqual([{ RuleArn: before.arn }]);
    expect(inputsOf(elb.commandCalls(CreateRuleCommand))).toEqual([{
      ListenerArn: HTTPS,
      Priority: 10,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/dashboard', '/dashboard/*'] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: GRAFANA_TG }],
      Tags: [{ Key: STACK_TAG_KEY, Value: 'unit' }],
    }]);
    expect(elb.commandCalls(ModifyRuleCommand)).toHaveLength(0);
    expect(after).toEqual({ ...dashboardOn(HTTPS), arn: `${ELB}:listener-rule/app/unit/0a1b/new` });
  });

  it('--public-metrics: the metrics rule is listed for removal and deleted, none created', async () => {
    elb.on(DeleteRuleCommand).resolves({});
    const { ctx, metrics } = rules({ publicMetrics: true });
    const before = metricsOn(HTTP);
    expect(await metrics.diff(ctx, before)).toEqual(['remove rule /metrics, /metrics/*']);
    expect(await metrics.update(ctx, before, [])).toEqual({ paths: [], action: 'none' });
    expect(inputsOf(elb.commandCalls(DeleteRuleCommand))).toEqual([{ RuleArn: before.arn }]);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
    // And with none there, none is wanted: nothing to do.
    expect(await metrics.diff(ctx, { paths: [], action: 'none' })).toEqual([]);
  });
});
