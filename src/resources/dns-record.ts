import type { AliasTarget, ResourceRecordSet } from '@aws-sdk/client-route-53';
import { hasErrorName } from '../aws/errors.js';
import { sdk } from '../aws/sdk.js';
import { resource, type Context, type Resource } from './context.js';
import type { HostedZone } from '../stack/dns.js';
import { createOrAdopt, fieldDiffs, observed, onceCreated } from './common.js';
import type { LoadBalancerState } from './load-balancer.js';
import type { TaskDefinitionState } from './task-definition.js';

export interface DnsRecordState {
  zoneId: string;
  /** The record as Route 53 holds it: a DELETE must repeat its values exactly. */
  record: ResourceRecordSet;
}

/** A name as Route 53 writes it (`Example.com.`) in the form the CLI compares: lowercase, no final dot. */
export const dnsName = (name: string) => name.toLowerCase().replace(/\.$/, '');

// The Route 53 console prefixes an ALB alias with "dualstack."; it is the same load balancer.
const aliasHost = (alias: AliasTarget | undefined) => dnsName(alias?.DNSName ?? '').replace(/^dualstack\./, '');

/**
 * Route 53 records carry no tags: a record is this stack's while it is an alias to this stack's ALB.
 * The alias names the ALB's DNS name and the ALB's canonical hosted zone (not the record's zone).
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-to-elb-load-balancer.html
 */
function desiredAlias(ctx: Context, loadBalancer: Resource<LoadBalancerState>): AliasTarget {
  const alb = loadBalancer.state(ctx);
  return { DNSName: alb.dnsName, HostedZoneId: alb.canonicalHostedZoneId, EvaluateTargetHealth: false };
}

/** The alias A record of the stack's domain in its public hosted zone, pointing at the stack's ALB. */
export function dnsRecord(domain: string, zone: HostedZone, refs: { loadBalancer: Resource<LoadBalancerState>; grafanaTaskDefinition: Resource<TaskDefinitionState> }): Resource<DnsRecordState> {
  const { loadBalancer } = refs;
  const change = (ctx: Context, Action: 'CREATE' | 'UPSERT' | 'DELETE', record: ResourceRecordSet) =>
    ctx.aws.route53.send(new (sdk.route53().ChangeResourceRecordSetsCommand)({
      HostedZoneId: zone.id,
      ChangeBatch: { Comment: `fargate-prom stack ${ctx.spec.name}`, Changes: [{ Action, ResourceRecordSet: record }] },
    }));
  const wanted = (ctx: Context): ResourceRecordSet => ({ Name: domain, Type: 'A', AliasTarget: desiredAlias(ctx, loadBalancer) });
  const self: Resource<DnsRecordState> = resource<DnsRecordState>({
    key: 'dns-record',
    kind: 'dns-record',
    name: domain,
    // Deleted before Grafana's task definition, whose root URL is where destroy finds the domain.
    dependsOn: [loadBalancer, refs.grafanaTaskDefinition],
    observeAfter: [loadBalancer],
    async observe(ctx) {
      const out = await ctx.aws.route53.send(new (sdk.route53().ListResourceRecordSetsCommand)({ HostedZoneId: zone.id, StartRecordName: domain, StartRecordType: 'A', MaxItems: 2 }));
      // An A record of the name, or a CNAME (which would block one).
      const record = (out.ResourceRecordSets ?? []).find((r) => dnsName(r.Name ?? '') === domain && (r.Type === 'A' || r.Type === 'CNAME'));
      if (!record) return undefined;
      const alb = loadBalancer.peek(ctx);
      const target = record.AliasTarget ? aliasHost(record.AliasTarget) : (record.ResourceRecords ?? []).map((r) => r.Value).join(',');
      const owned = record.Type === 'A' && alb !== undefined && target === dnsName(alb.dnsName);
      return observed({ zoneId: zone.id, record }, owned, `${domain} ${record.Type} → ${target}`);
    },
    async diff(ctx, state) {
      const have = state.record.AliasTarget;
      const want = desiredAlias(ctx, loadBalancer);
      return fieldDiffs([
        ['alias zone', have?.HostedZoneId, want.HostedZoneId],
        ['evaluate target health', have?.EvaluateTargetHealth, want.EvaluateTargetHealth],
      ]);
    },
    async create(ctx) {
      return createOrAdopt(self, ctx, async () => {
        await change(ctx, 'CREATE', wanted(ctx));
        return { zoneId: zone.id, record: wanted(ctx) };
      }, ['InvalidChangeBatch']);
    },
    async update(ctx) {
      await change(ctx, 'UPSERT', wanted(ctx));
      return { zoneId: zone.id, record: wanted(ctx) };
    },
    async delete(ctx, state) {
      try {
        // Route 53 deletes only when the values given are the current ones: a record repointed since it
        // was observed is refused, and stays.
        await change(ctx, 'DELETE', state.record);
      } catch (err) {
        if (!hasErrorName(err, 'InvalidChangeBatch')) throw err;
        const now = await self.observe(ctx);
        if (now?.owned) throw err;
      }
    },
    async health(_ctx, state) {
      return { healthy: true, state: `alias → ${aliasHost(state.record.AliasTarget)}` };
    },
    identify: (s) => `${domain} A → ${aliasHost(s.record.AliasTarget)}`,
  });
  return onceCreated(self, [loadBalancer, refs.grafanaTaskDefinition]);
}
