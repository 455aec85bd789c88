import type { AwsClients } from '../aws/clients.js';
import { sdk } from '../aws/sdk.js';
import type { Observation } from '../engine/engine.js';
import { remember } from '../engine/types.js';
import type { Context } from '../resources/context.js';
import { dnsName, dnsRecord } from '../resources/dns-record.js';
import { CliError } from '../errors.js';
import { grafanaRootUrl } from '../resources/task-definition.js';
import type { Stack } from './resources.js';

/** The public Route 53 hosted zone that holds a stack's domain. */
export interface HostedZone {
  id: string;
  name: string;
}


/**
 * The public hosted zone of this account whose name is the longest suffix of `domain`, or undefined.
 * ListHostedZonesByName lists zones in name order starting at DNSName, so each candidate suffix is asked
 * for in turn (longest first) and only zones of exactly that name count. Private zones never do: a record
 * there would not resolve from the internet.
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html
 */
export async function findPublicZone(aws: AwsClients, domain: string): Promise<HostedZone | undefined> {
  const { ListHostedZonesByNameCommand } = sdk.route53();
  const labels = domain.split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    const candidate = labels.slice(i).join('.');
    const out = await aws.route53.send(new ListHostedZonesByNameCommand({ DNSName: candidate, MaxItems: 10 }));
    const zones = (out.HostedZones ?? []).filter((z) => dnsName(z.Name ?? '') === candidate && !z.Config?.PrivateZone);
    if (zones.length > 1) {
      throw new CliError(`${zones.length} public Route 53 hosted zones are named ${candidate} (${zones.map((z) => z.Id).join(', ')}); the CLI cannot tell which one serves ${domain}: delete the unused one`);
    }
    if (zones.length === 1) return { id: zones[0].Id!.replace(/^\/hostedzone\//, ''), name: candidate };
  }
  return undefined;
}

/**
 * The host name a stack serves HTTPS under: --domain (or the certificate's name) for `up`; for status and
 * destroy, the host of Grafana's root URL when it is not the load balancer's own name.
 */
export function stackDomain(ctx: Context, stack: Stack): string | undefined {
  if (ctx.spec.dns) return ctx.spec.dns.domain;
  if (ctx.spec.options) return ctx.spec.options.domain;
  const root = grafanaRootUrl(stack.grafanaTaskDefinition.peek(ctx));
  const alb = stack.loadBalancer.peek(ctx);
  if (!root) return undefined;
  const url = new URL(root);
  return url.protocol === 'https:' && url.hostname !== alb?.dnsName?.toLowerCase() ? url.hostname : undefined;
}

/**
 * For status and destroy, which learn the domain only from what they observed: when the stack serves a
 * domain in a public hosted zone, its alias record joins the resources (observed, owned or not).
 */
export async function observeDnsRecord(ctx: Context, stack: Stack, found: Observation): Promise<void> {
  const domain = stackDomain(ctx, stack);
  const zone = domain && await findPublicZone(ctx.aws, domain);
  if (!domain || !zone) return;
  ctx.spec.dns = { domain, zone };
  const record = dnsRecord(domain, zone, stack);
  const seen = await record.observe(ctx);
  stack.all.push(record);
  found.set(record, seen);
  if (seen?.owned) remember(ctx, record, seen.state);
}

/** What `up` says about the domain: the alias it keeps in Route 53, or the record the user must create. */
export interface DnsReport {
  domain: string;
  /** The public hosted zone holding the record, when this account has one. */
  zoneId?: string;
  /** Without a zone: the record to create at the domain's DNS provider. */
  create?: { name: string; type: 'A (alias) or CNAME'; value: string; aliasHostedZoneId: string };
}

export function dnsReport(ctx: Context, stack: Stack): DnsReport | undefined {
  const dns = ctx.spec.dns;
  const alb = stack.loadBalancer.peek(ctx);
  if (!dns || !alb) return undefined;
  if (dns.zone) return { domain: dns.domain, zoneId: dns.zone.id };
  return { domain: dns.domain, create: { name: dns.domain, type: 'A (alias) or CNAME', value: alb.dnsName, aliasHostedZoneId: alb.canonicalHostedZoneId } };
}

export function renderDns(r: DnsReport | undefined): string {
  if (!r) return '';
  if (!r.create) return `  DNS:      ${r.domain} → the load balancer (alias A record in Route 53 zone ${r.zoneId})\n`;
  return `  DNS:      no public Route 53 hosted zone of this account holds ${r.domain}; create this record at its DNS provider:\n` +
    `            ${r.create.name}  CNAME  ${r.create.value}   (in Route 53: an alias A record, alias zone ${r.create.aliasHostedZoneId})\n`;
}

/** Whether a host name resolves from this machine (Grafana is reached through it). */
export async function resolves(host: string): Promise<boolean> {
  const { lookup } = await import('node:dns/promises');
  return lookup(host).then(() => true, () => false);
}
