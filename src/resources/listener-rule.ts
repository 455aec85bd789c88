import type { Action, Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import { resource, type Context, type Resource } from './context.js';
import { requireOptions, tags } from '../stack/spec.js';
import { createOrAdopt, deleteIgnoringMissing, fieldDiffs, observed } from './common.js';
import { primaryPort, type ListenersState } from './listeners.js';
import type { TargetGroupState } from './target-group.js';
import { sdk } from '../aws/sdk.js';

const { CreateRuleCommand, DeleteRuleCommand, DescribeRulesCommand, ModifyRuleCommand } = sdk.elbv2();

export interface RuleState {
  /** Absent when the stack asks for no such rule (e.g. --public-metrics) and there is none. */
  arn?: string;
  listenerArn?: string;
  paths: string[];
  /** The action, summarised to compare it with the desired one. */
  action: string;
}

// `/dashboard/*` alone does not match `/dashboard` itself, so both go in the one condition.
export const DASHBOARD_PATHS = ['/dashboard', '/dashboard/*'];

// Lower priorities are evaluated first: the metrics rule wins over any other rule whose paths overlap.
const METRICS_PRIORITY = 5;
const DASHBOARD_PRIORITY = 10;

/** What one listener rule of the stack is: where it sits, what it matches and what it does. */
interface RuleDefinition {
  id: string;
  name: string;
  priority: number;
  /** The stack's listeners, whose app listener holds the rule. */
  listeners: Resource<ListenersState>;
  dependsOn: Resource[];
  /** Which rule at its priority on the stack's listeners is this one. */
  isThis(rule: Rule): boolean;
  /** The path patterns to match, or undefined when the options ask for no rule. */
  paths(ctx: Context): string[] | undefined;
  action(ctx: Context): Action;
}

/**
 * The one listener that forwards to the app: :443 with a certificate (:80 then redirects to it), else
 * :80. Planning may see it missing (HTTPS being added); apply runs after the listeners are made.
 */
function appListenerArn(ctx: Context, listeners: Resource<ListenersState>): string {
  const port = primaryPort(ctx);
  return listeners.state(ctx).listeners.find((l) => l.port === port)?.arn ?? `(new listener :${port})`;
}

const pathsOf = (rule: Rule) => {
  const cond = rule.Conditions?.find((c) => c.Field === 'path-pattern');
  return [...(cond?.PathPatternConfig?.Values ?? cond?.Values ?? [])];
};

function summarise(action: Action | undefined): string {
  if (action?.Type === 'fixed-response') {
    const f = action.FixedResponseConfig;
    return `fixed-response ${f?.StatusCode} ${f?.ContentType ?? ''} ${JSON.stringify(f?.MessageBody ?? '')}`;
  }
  return `forward ${action?.TargetGroupArn ?? action?.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn ?? ''}`;
}

const NO_RULE: RuleState = { paths: [], action: 'none' };

/** A listener rule on the listener that forwards to the app, created, updated, moved or removed as the options say. */
function listenerRule(def: RuleDefinition): Resource<RuleState> {
  const desired = (ctx: Context) => {
    const paths = def.paths(ctx);
    return paths && { paths, sorted: [...paths].sort(), action: def.action(ctx), listenerArn: appListenerArn(ctx, def.listeners) };
  };
  const self: Resource<RuleState> = resource<RuleState>({
    key: def.id,
    kind: 'listener-rule',
    name: def.name,
    dependsOn: def.dependsOn,
    observeAfter: [def.listeners],
    optional: true,
    async observe(ctx) {
      const ls = def.listeners.peek(ctx);
      for (const l of ls?.listeners ?? []) {
        const out = await ctx.aws.elb.send(new DescribeRulesCommand({ ListenerArn: l.arn }));
        const rule = (out.Rules ?? []).find((r) => r.Priority === String(def.priority) && def.isThis(r));
        // Rules belong to the listener (and its load balancer): owned when it is (observe only sees owned ones).
        if (rule) {
          return observed({ arn: rule.RuleArn!, listenerArn: l.arn, paths: pathsOf(rule).sort(), action: summarise(rule.Actions?.[0]) }, true, rule.RuleArn!);
        }
      }
      // None, and up's options ask for none: that is the state they want (status and destroy: absent).
      if (ctx.spec.options && !def.paths(ctx)) return observed(NO_RULE, true, 'none');
      return undefined;
    },
    async diff(ctx, state) {
      const want = desired(ctx);
      if (!want) return state.arn ? [`remove rule ${state.paths.join(', ')}`] : [];
      if (!state.arn) return ['add rule'];
      return fieldDiffs([
        ['listener', state.listenerArn, want.listenerArn],
        ['paths', state.paths, want.sorted],
        ['action', state.action, summarise(want.action)],
      ]);
    },
    async create(ctx) {
      const want = desired(ctx);
      if (!want) return NO_RULE;
      // A retried call whose first attempt went through leaves our rule at that priority: adopt it, and make it right.
      const state = await createOrAdopt(self, ctx, async () => {
        const out = await ctx.aws.elb.send(new CreateRuleCommand({
          ListenerArn: want.listenerArn,
          Priority: def.priority,
          Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: want.paths } }],
          Actions: [want.action],
          Tags: tags.keyValue(ctx.spec),
        }));
        return { arn: out.Rules![0].RuleArn!, listenerArn: want.listenerArn, paths: want.sorted, action: summarise(want.action) };
      }, ['PriorityInUseException']);
      return (await self.diff(ctx, state)).length > 0 ? self.update(ctx, state, []) : state;
    },
    async update(ctx, state) {
      const want = desired(ctx);
      if (!want || !state.arn || state.listenerArn !== want.listenerArn) {
        // Not wanted any more, or on the wrong listener (HTTPS was added or removed; a rule cannot move): replace it.
        await self.delete(ctx, state);
        return self.create(ctx);
      }
      await ctx.aws.elb.send(new ModifyRuleCommand({
        RuleArn: state.arn,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: want.paths } }],
        Actions: [want.action],
      }));
      return { ...state, paths: want.sorted, action: summarise(want.action) };
    },
    async delete(ctx, state) {
      if (!state.arn) return;
      await deleteIgnoringMissing(() => ctx.aws.elb.send(new DeleteRuleCommand({ RuleArn: state.arn })), 'RuleNotFoundException');
    },
    async health(_ctx, state) {
      return { healthy: true, state: state.arn ? 'present' : 'none' };
    },
    identify: (s) => s.arn ?? 'none',
  });
  return self;
}

/** The listener rule that sends /dashboard to Grafana. */
export function dashboardRule(refs: { listeners: Resource<ListenersState>; grafanaTargetGroup: Resource<TargetGroupState> }): Resource<RuleState> {
  return listenerRule({
    listeners: refs.listeners,
    id: 'rule:dashboard',
    name: '/dashboard',
    priority: DASHBOARD_PRIORITY,
    dependsOn: [refs.listeners, refs.grafanaTargetGroup],
    isThis: (rule) => pathsOf(rule).includes('/dashboard/*'),
    paths: () => DASHBOARD_PATHS,
    action: (ctx) => ({ Type: 'forward', TargetGroupArn: refs.grafanaTargetGroup.state(ctx).arn }),
  });
}

/**
 * The metrics path and everything under it: `<path>/*` too, because many frameworks (Express's default
 * routing among them) answer `<path>/` as `<path>`. The query string never takes part in the match, so
 * `<path>?x=1` is blocked as well. The match is case-sensitive: an app that serves its metrics under
 * any case (Express does by default) still answers `/METRICS`; a path condition has too few values to
 * cover every spelling.
 */
export function metricsPaths(metricsPath: string): string[] {
  return [metricsPath, `${metricsPath.replace(/\/+$/, '')}/*`];
}

/**
 * The listener rule that keeps the app's metrics off the internet: a fixed 404 for the metrics path.
 * The ALB's health checks go from its nodes straight to the targets, not through listener rules, so a
 * health check on the metrics path still works. None with --public-metrics.
 */
export function metricsRule(refs: { listeners: Resource<ListenersState> }): Resource<RuleState> {
  return listenerRule({
    listeners: refs.listeners,
    id: 'rule:metrics',
    name: 'metrics path → 404',
    priority: METRICS_PRIORITY,
    dependsOn: [refs.listeners],
    isThis: (rule) => rule.Actions?.[0]?.Type === 'fixed-response',
    paths: (ctx) => {
      const o = requireOptions(ctx.spec);
      return o.publicMetrics ? undefined : metricsPaths(o.metricsPath);
    },
    action: () => ({ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' } }),
  });
}
