import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListResourceRecordSetsCommand, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { ActionRule, RuleContext } from '../rule.js';
import { AwsError } from '../wire.js';

interface Change {
  action: string;
  name: string;
  type: string;
  alias?: { hostedZoneId: string; dnsName: string; evaluateTargetHealth: boolean };
  values: string[];
  ttl?: string;
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];
const fqdn = (name: string) => `${name.toLowerCase().replace(/\.$/, '')}.`;

/** The changes of a ChangeResourceRecordSets body (the SDK's XML: one element per field). */
function parseChanges(xml: string): Change[] {
  return [...xml.matchAll(/<Change>([\s\S]*?)<\/Change>/g)].map(([, c]) => {
    const alias = tag(c, 'AliasTarget');
    return {
      action: tag(c, 'Action') ?? '',
      name: fqdn(tag(c, 'Name') ?? ''),
      type: tag(c, 'Type') ?? '',
      alias: alias === undefined ? undefined : {
        hostedZoneId: tag(alias, 'HostedZoneId') ?? '',
        dnsName: fqdn(tag(alias, 'DNSName') ?? ''),
        evaluateTargetHealth: tag(alias, 'EvaluateTargetHealth') === 'true',
      },
      values: [...c.matchAll(/<Value>([\s\S]*?)<\/Value>/g)].map(([, v]) => v).sort(),
      ttl: tag(c, 'TTL'),
    };
  });
}

async function currentRecord(ctx: RuleContext, zoneId: string, change: Change): Promise<ResourceRecordSet | undefined> {
  const out = await ctx.moto.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: change.name, StartRecordType: change.type as never, MaxItems: 1 }));
  const r = out.ResourceRecordSets?.[0];
  return r && fqdn(r.Name ?? '') === change.name && r.Type === change.type ? r : undefined;
}

function sameValues(r: ResourceRecordSet, c: Change): boolean {
  if (c.alias || r.AliasTarget) {
    return Boolean(c.alias && r.AliasTarget) && fqdn(r.AliasTarget!.DNSName ?? '') === c.alias!.dnsName &&
      r.AliasTarget!.HostedZoneId === c.alias!.hostedZoneId && Boolean(r.AliasTarget!.EvaluateTargetHealth) === c.alias!.evaluateTargetHealth;
  }
  return JSON.stringify((r.ResourceRecords ?? []).map((v) => v.Value).sort()) === JSON.stringify(c.values) && String(r.TTL) === c.ttl;
}

const invalid = (message: string) => new AwsError('InvalidChangeBatch', `[${message}]`, 400);

/**
 * moto accepts any change; Route 53 validates the batch first and applies all of it or none:
 * - CREATE of a record that exists is refused; DELETE must name an existing record with exactly its
 *   current values (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html);
 * - an alias to a load balancer must name the load balancer's canonical hosted zone, not the record's
 *   (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-to-elb-load-balancer.html).
 */
const changeResourceRecordSets: ActionRule = async (ctx) => {
  const zoneId = ctx.call.pathSegments[2];
  for (const c of parseChanges(String(ctx.call.input.xml ?? ''))) {
    const what = `resource record set [name='${c.name}', type='${c.type}']`;
    if (c.action === 'CREATE' && await currentRecord(ctx, zoneId, c)) throw invalid(`Tried to create ${what} but it already exists`);
    if (c.action === 'DELETE') {
      const now = await currentRecord(ctx, zoneId, c);
      if (!now) throw invalid(`Tried to delete ${what} but it was not found`);
      if (!sameValues(now, c)) throw invalid(`Tried to delete ${what} but the values provided do not match the current values`);
    }
    if (c.alias && c.action !== 'DELETE' && /\.elb\.amazonaws\.com\.$/.test(c.alias.dnsName)) {
      const lbs = (await ctx.moto.elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
      const lb = lbs.find((l) => fqdn(l.DNSName ?? '') === c.alias!.dnsName.replace(/^dualstack\./, ''));
      if (!lb || lb.CanonicalHostedZoneId !== c.alias.hostedZoneId) {
        throw invalid(`Tried to create an alias that targets ${c.alias.dnsName}, type ${c.type} in zone ${c.alias.hostedZoneId}, but the alias target name does not lie within the target zone`);
      }
    }
  }
  return ctx.forward();
};

export const route53Rules: Record<string, ActionRule> = {
  ChangeResourceRecordSets: changeResourceRecordSets,
};
