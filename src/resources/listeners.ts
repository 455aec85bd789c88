import type { Action, Listener } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CliError } from '../errors.js';
import { resource, type Context, type Resource } from './context.js';
import { requireOptions, tags } from '../stack/spec.js';
import { createOrAdopt, deleteIgnoringMissing, observed } from './common.js';
import type { LoadBalancerState } from './load-balancer.js';
import type { TargetGroupState } from './target-group.js';
import { sdk } from '../aws/sdk.js';

const { CreateListenerCommand, DeleteListenerCommand, DescribeListenersCommand, ModifyListenerCommand } = sdk.elbv2();

interface ListenerSpec {
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  certificateArn?: string;
  action: Action;
}

export interface ListenersState {
  loadBalancerArn: string;
  listeners: { arn: string; port: number; summary: string }[];
}

export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/** The listener that carries the app and the /dashboard rule: HTTPS when there is a certificate. */
export function primaryPort(ctx: Context): number {
  return requireOptions(ctx.spec).certificateArn ? 443 : 80;
}

function desired(ctx: Context, appTargetGroup: Resource<TargetGroupState>): ListenerSpec[] {
  const { certificateArn } = requireOptions(ctx.spec);
  const forward: Action = { Type: 'forward', TargetGroupArn: appTargetGroup.state(ctx).arn };
  if (!certificateArn) return [{ port: 80, protocol: 'HTTP', action: forward }];
  return [
    { port: 80, protocol: 'HTTP', action: { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } } },
    { port: 443, protocol: 'HTTPS', certificateArn, action: forward },
  ];
}

function summarise(protocol: string | undefined, cert: string | undefined, action: Action | undefined): string {
  const a = action?.Type === 'redirect'
    ? `redirect ${action.RedirectConfig?.Protocol}:${action.RedirectConfig?.Port}`
    : `forward ${action?.TargetGroupArn ?? action?.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn}`;
  return `${protocol}${cert ? ` ${cert}` : ''} ${a}`;
}

const summaryOf = (l: Listener) => summarise(l.Protocol, l.Certificates?.[0]?.CertificateArn, l.DefaultActions?.[0]);
const summaryOfSpec = (s: ListenerSpec) => summarise(s.protocol, s.certificateArn, s.action);

/** The ALB's listeners as one resource: port 80 forwards to the app, or redirects to 443 with a certificate. */
export function listeners(refs: { loadBalancer: Resource<LoadBalancerState>; appTargetGroup: Resource<TargetGroupState> }): Resource<ListenersState> {
  const { loadBalancer, appTargetGroup } = refs;
  const self: Resource<ListenersState> = resource<ListenersState>({
    key: 'listeners',
    kind: 'listeners',
    name: 'http/https',
    dependsOn: [loadBalancer, appTargetGroup],
    observeAfter: [loadBalancer],
    async observe(ctx) {
      const lb = loadBalancer.peek(ctx);
      if (!lb) return undefined;
      const out = await ctx.aws.elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.arn }));
      const found = out.Listeners ?? [];
      if (found.length === 0) return undefined;
      // Listeners belong to the load balancer: owned when it is (observe only sees owned ones).
      return observed({
        loadBalancerArn: lb.arn,
        listeners: found.map((l) => ({ arn: l.ListenerArn!, port: l.Port!, summary: summaryOf(l) })).sort((a, b) => a.port - b.port),
      }, true, found.map((l) => `:${l.Port}`).join(' '));
    },
    async diff(ctx, state) {
      const want = desired(ctx, appTargetGroup);
      const diffs: string[] = [];
      for (const w of want) {
        const have = state.listeners.find((l) => l.port === w.port);
        if (!have) diffs.push(`add listener :${w.port}`);
        else if (have.summary !== summaryOfSpec(w)) diffs.push(`listener :${w.port}: ${have.summary} → ${summaryOfSpec(w)}`);
      }
      for (const l of state.listeners) if (!want.some((w) => w.port === l.port)) diffs.push(`remove listener :${l.port}`);
      return diffs;
    },
    async create(ctx) {
      const lb = loadBalancer.state(ctx);
      return self.update(ctx, { loadBalancerArn: lb.arn, listeners: [] }, []);
    },
    async update(ctx, state) {
      const want = desired(ctx, appTargetGroup);
      const lbArn = loadBalancer.state(ctx).arn;
      const result = await Promise.all(want.map(async (w) => {
        let have = state.listeners.find((l) => l.port === w.port);
        const common = {
          Protocol: w.protocol,
          Port: w.port,
          DefaultActions: [w.action],
          ...(w.certificateArn ? { Certificates: [{ CertificateArn: w.certificateArn }], SslPolicy: TLS_POLICY } : {}),
        };
        if (!have) {
          // A retried call whose first attempt went through: the listener is there; adopt it and make it right below.
          const now = await createOrAdopt(self, ctx, async () => {
            const out = await ctx.aws.elb.send(new CreateListenerCommand({ LoadBalancerArn: lbArn, ...common, Tags: tags.keyValue(ctx.spec) }));
            return { loadBalancerArn: lbArn, listeners: [{ arn: out.Listeners![0].ListenerArn!, port: w.port, summary: summaryOfSpec(w) }] };
          }, ['DuplicateListenerException']);
          have = now.listeners.find((l) => l.port === w.port);
          if (!have) throw new CliError(`ALB listener :${w.port} already exists, yet ${lbArn} does not list it; run the same command again`);
        }
        if (have.summary !== summaryOfSpec(w)) await ctx.aws.elb.send(new ModifyListenerCommand({ ListenerArn: have.arn, ...common }));
        return { ...have, summary: summaryOfSpec(w) };
      }));
      await Promise.all(state.listeners.filter((l) => !want.some((w) => w.port === l.port)).map((l) =>
        deleteIgnoringMissing(() => ctx.aws.elb.send(new DeleteListenerCommand({ ListenerArn: l.arn })), 'ListenerNotFoundException')));
      return { loadBalancerArn: lbArn, listeners: result.sort((a, b) => a.port - b.port) };
    },
    async delete(ctx, state) {
      await Promise.all(state.listeners.map((l) =>
        deleteIgnoringMissing(() => ctx.aws.elb.send(new DeleteListenerCommand({ ListenerArn: l.arn })), 'ListenerNotFoundException')));
    },
    identify: (s) => s.listeners.map((l) => `:${l.port}`).join(' '),
  });
  return self;
}
