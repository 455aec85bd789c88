import type { Context, Resource } from '../engine/types.js';
import { tags } from '../stack/spec.js';
import { createOrAdopt, deleteIgnoringMissing, fieldDiffs, observed, stateOf } from './common.js';
import { primaryPort, type ListenersState } from './listeners.js';
import type { TargetGroupState } from './target-group.js';
import { sdk } from '../aws/sdk.js';

const { CreateRuleCommand, DeleteRuleCommand, DescribeRulesCommand, ModifyRuleCommand } = sdk.elbv2();

export interface RuleState {
  arn: string;
  listenerArn: string;
  paths: string[];
  targetGroupArn: string;
}

// `/dashboard/*` alone does not match `/dashboard` itself, so both go in the one condition.
export const DASHBOARD_PATHS = ['/dashboard', '/dashboard/*'];
const PRIORITY = 10;

function primaryListenerArn(ctx: Context): string {
  const port = primaryPort(ctx);
  return stateOf<ListenersState>(ctx, 'listeners').listeners.find((l) => l.port === port)!.arn;
}

/** The listener rule that sends /dashboard to Grafana. */
export function dashboardRule(): Resource<RuleState> {
  const self: Resource<RuleState> = {
    id: 'rule:dashboard',
    kind: 'listener-rule',
    name: '/dashboard',
    dependsOn: ['listeners', 'tg:grafana'],
    observeAfter: ['listeners'],
    async observe(ctx) {
      const ls = ctx.states.get('listeners') as ListenersState | undefined;
      if (!ls) return undefined;
      for (const l of ls.listeners) {
        const out = await ctx.aws.elb.send(new DescribeRulesCommand({ ListenerArn: l.arn }));
        const rule = (out.Rules ?? []).find((r) => r.Conditions?.some((c) =>
          c.Field === 'path-pattern' && (c.PathPatternConfig?.Values ?? c.Values ?? []).includes('/dashboard/*')));
        if (rule) {
          const cond = rule.Conditions!.find((c) => c.Field === 'path-pattern')!;
          const action = rule.Actions?.[0];
          return observed({
            arn: rule.RuleArn!,
            listenerArn: l.arn,
            paths: [...(cond.PathPatternConfig?.Values ?? cond.Values ?? [])].sort(),
            targetGroupArn: action?.TargetGroupArn ?? action?.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn ?? '',
          }, true, rule.RuleArn!);
        }
      }
      return undefined;
    },
    async diff(ctx, state) {
      return fieldDiffs([
        ['listener', state.listenerArn, primaryListenerArn(ctx)],
        ['paths', state.paths, [...DASHBOARD_PATHS].sort()],
        ['target group', state.targetGroupArn, stateOf<TargetGroupState>(ctx, 'tg:grafana').arn],
      ]);
    },
    async create(ctx) {
      const listenerArn = primaryListenerArn(ctx);
      const targetGroupArn = stateOf<TargetGroupState>(ctx, 'tg:grafana').arn;
      // A retried call whose first attempt went through leaves our rule at that priority: adopt it, and make it right.
      const state = await createOrAdopt(self, ctx, async () => {
        const out = await ctx.aws.elb.send(new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: PRIORITY,
          Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: DASHBOARD_PATHS } }],
          Actions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
          Tags: tags.keyValue(ctx.spec),
        }));
        return { arn: out.Rules![0].RuleArn!, listenerArn, paths: [...DASHBOARD_PATHS].sort(), targetGroupArn };
      }, ['PriorityInUseException']);
      return (await self.diff(ctx, state)).length > 0 ? self.update(ctx, state, []) : state;
    },
    async update(ctx, state) {
      if (state.listenerArn !== primaryListenerArn(ctx)) {
        // A rule cannot move between listeners (HTTPS was added or removed): replace it.
        await self.delete(ctx, state);
        return self.create(ctx);
      }
      const targetGroupArn = stateOf<TargetGroupState>(ctx, 'tg:grafana').arn;
      await ctx.aws.elb.send(new ModifyRuleCommand({
        RuleArn: state.arn,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: DASHBOARD_PATHS } }],
        Actions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
      }));
      return { ...state, paths: [...DASHBOARD_PATHS].sort(), targetGroupArn };
    },
    async delete(ctx, state) {
      await deleteIgnoringMissing(() => ctx.aws.elb.send(new DeleteRuleCommand({ RuleArn: state.arn })), 'RuleNotFoundException');
    },
    identify: (s) => s.arn,
  };
  return self;
}
