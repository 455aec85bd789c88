import { z } from 'zod';
import { InputError } from '../errors.js';
import { FARGATE_MEMORY_BY_CPU, LOG_RETENTION_DAYS, describeMemoryChoices } from './aws-limits.js';
import { checkProfile, checkRegion } from './aws-environment.js';
import { refusedStackName } from '../stack/name-rules.js';

import { DEFAULT_GRAFANA_IMAGE, DEFAULT_STACK_NAME } from './defaults.js';

/** Flags shared by every command that talks to AWS. */
export interface ConnectionOptions {
  name: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  json: boolean;
  /** Keys to sign with instead of the SDK's credential chain (the sandbox's local AWS); no flag sets them. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface UpOptions extends ConnectionOptions {
  appImage?: string;
  appPort: number;
  metricsPath: string;
  healthPath: string;
  desiredCount: number;
  cpu: number;
  memory: number;
  scrapeInterval: string;
  logRetention: number;
  grafanaImage: string;
  /** --grafana-storage: Grafana's data directory on EFS (kept when its task is replaced), or in the task (lost). */
  grafanaStorage: GrafanaStorage;
  vpcId?: string;
  subnetIds?: string[];
  allowCidr: string;
  allowCidrDefaulted: boolean;
  certificateArn?: string;
  /** --domain: the name HTTPS is served under (lowercase, no trailing dot); with --certificate-arn only. */
  domain?: string;
  grafanaUrl?: string;
  /** Where Grafana's datasource sends its queries instead of AMP (local use): FARGATE_PROM_AMP_ENDPOINT, or the sandbox's data plane. */
  ampEndpointUrl?: string;
  /** Let the ALB serve the metrics path like any other (no 404 rule). */
  publicMetrics: boolean;
  yes: boolean;
  dryRun: boolean;
  wait: boolean;
}

export const GRAFANA_STORAGE = ['efs', 'ephemeral'] as const;
export type GrafanaStorage = (typeof GRAFANA_STORAGE)[number];

/** Raw commander values: strings (or booleans for switches), possibly undefined. */
export type RawOptions = Record<string, unknown>;

const STACK_NAME = /^[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?$/;
const PROFILE = /^[A-Za-z0-9_.@+=,-]{1,128}$/;
const IMAGE = /^[a-zA-Z0-9][a-zA-Z0-9\-_:./#@]{0,254}$/;
// ALB health-check paths and Prometheus metrics paths: an absolute path without query or spaces.
const URL_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]{0,1023}$/;
const PROM_DURATION = /^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
// A host name: dot-separated labels of letters, digits and inner hyphens (at most 63 each, 253 in all), two or more labels.
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ACM_ARN = /^arn:aws(?:-[a-z]+)*:acm:([a-z]{2}(?:-gov)?-[a-z]+-\d{1,2}):\d{12}:certificate\/[0-9a-f-]{36}$/;

function fail(flag: string, problem: string, fix: string): never {
  throw new InputError(`${flag}: ${problem}; ${fix}`);
}

function str(raw: RawOptions, key: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  return String(v).trim();
}

/** An integer flag within bounds, validated with zod so the rule and the message live together. */
function intFlag(raw: RawOptions, key: string, flag: string, def: number, min: number, max: number): number {
  const v = str(raw, key);
  if (v === undefined) return def;
  const parsed = z.coerce.number().int().min(min).max(max).safeParse(v === '' ? NaN : v);
  if (!parsed.success || !/^\d+$/.test(v)) fail(flag, `"${v}" is not a whole number from ${min} to ${max}`, `pass e.g. ${flag} ${def}`);
  return parsed.data;
}

function matchFlag(raw: RawOptions, key: string, flag: string, re: RegExp, fix: string, def?: string): string | undefined {
  const v = str(raw, key);
  if (v === undefined) return def;
  if (!z.string().regex(re).safeParse(v).success) fail(flag, `"${v}" is not valid`, fix);
  return v;
}

function urlFlag(raw: RawOptions, key: string, flag: string, example: string): string | undefined {
  const v = str(raw, key);
  if (v === undefined) return undefined;
  return checkUrl(v, flag, `pass e.g. ${flag} ${example}`);
}

function checkUrl(v: string, flag: string, fix: string): string {
  let ok = false;
  try {
    const u = new URL(v);
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    ok = false;
  }
  if (!ok) fail(flag, `"${v}" is not an http(s) URL`, fix);
  return v;
}

export function parseDurationSeconds(d: string): number {
  const units: Record<string, number> = { y: 31536000, w: 604800, d: 86400, h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  for (const [, n, u] of d.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) total += Number(n) * units[u];
  return total;
}

/** `env` is where the AWS_* and FARGATE_PROM_* variables are read: the process's, or the sandbox's own. */
export function parseConnectionOptions(raw: RawOptions, env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const name = matchFlag(
    raw, 'name', '--name', STACK_NAME,
    'use 1–20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (e.g. --name my-app)',
    DEFAULT_STACK_NAME,
  )!;
  // Every resource name derives from --name: one AWS would refuse must stop us here, not half-way through up.
  const refused = refusedStackName(name);
  if (refused) throw new InputError(`--name ${name}: ${refused}; choose another name`);
  // The SDK takes the region from --region, else AWS_REGION, else the profile (checked when the clients are made).
  const region = str(raw, 'region');
  if (region !== undefined) checkRegion(region, 'flag');
  else if (env.AWS_REGION) checkRegion(env.AWS_REGION, 'env');
  const profile = matchFlag(raw, 'profile', '--profile', PROFILE, 'pass the name of a profile from ~/.aws/config');
  if (profile !== undefined) checkProfile(profile, 'flag', env);
  else if (env.AWS_PROFILE) checkProfile(env.AWS_PROFILE, 'env', env);
  // AWS_ENDPOINT_URL counts as --endpoint-url: the SDK would use it anyway, and the CLI must know it is
  // talking to an emulator (no real ALB or AMP to reach for Grafana and the ingestion check).
  const endpointEnv = env.AWS_ENDPOINT_URL || undefined;
  const endpointUrl = urlFlag(raw, 'endpointUrl', '--endpoint-url', 'http://127.0.0.1:5000')
    ?? (endpointEnv && checkUrl(endpointEnv, 'AWS_ENDPOINT_URL', 'set it to an http(s) URL such as http://127.0.0.1:5000, or unset it'));
  return { name, region, profile, endpointUrl, json: raw.json === true };
}

export interface StatusOptions extends ConnectionOptions {
  /** Where to send PromQL instead of AMP (local use); also FARGATE_PROM_AMP_ENDPOINT. */
  ampEndpointUrl?: string;
  grafanaUrl?: string;
}

/** FARGATE_PROM_AMP_ENDPOINT: a server standing in for AMP's query API (local use); unset or empty: AMP. */
export function ampEndpointFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.FARGATE_PROM_AMP_ENDPOINT || undefined;
}

export interface DestroyOptions extends ConnectionOptions {
  /** Delete without asking for the stack name. */
  yes: boolean;
}

export function parseDestroyOptions(raw: RawOptions): DestroyOptions {
  return { ...parseConnectionOptions(raw), yes: raw.yes === true };
}

export interface AgentConfigOptions extends ConnectionOptions {
  /** yaml: the agent's Prometheus config; container: its ECS container definition. */
  format: 'yaml' | 'container';
  /** The workspace to write to, without asking AWS; else the workspace of stack --name. */
  workspaceId?: string;
  appPort: number;
  metricsPath: string;
  scrapeInterval: string;
}

/** agent-config takes up's flags for what the agent scrapes (the same checks), with no image. */
export function parseAgentConfigOptions(raw: RawOptions): AgentConfigOptions {
  const format = String(raw.format ?? 'yaml');
  if (format !== 'yaml' && format !== 'container') throw new InputError(`--format: "${format}" is not a format; use --format yaml or --format container`);
  const { name, region, profile, endpointUrl, appPort, metricsPath, scrapeInterval } = parseUpOptions({ ...raw, appImage: undefined });
  const workspaceId = raw.workspaceId === undefined ? undefined : String(raw.workspaceId);
  if (workspaceId !== undefined && !/^ws-[0-9a-f-]{36}$/.test(workspaceId)) {
    throw new InputError(`--workspace-id: "${workspaceId}" is not an AMP workspace id; pass e.g. --workspace-id ws-12345678-abcd-1234-abcd-123456789012`);
  }
  return { name, region, profile, endpointUrl, json: false, format, workspaceId, appPort, metricsPath, scrapeInterval };
}

export function parseStatusOptions(raw: RawOptions): StatusOptions {
  return {
    ...parseConnectionOptions(raw),
    ampEndpointUrl: urlFlag(raw, 'ampEndpointUrl', '--amp-endpoint-url', 'http://127.0.0.1:9095') ?? ampEndpointFromEnv(),
    grafanaUrl: urlFlag(raw, 'grafanaUrl', '--grafana-url', 'http://127.0.0.1:3000/dashboard'),
  };
}

export function parseUpOptions(raw: RawOptions, env: NodeJS.ProcessEnv = process.env): UpOptions {
  const conn = parseConnectionOptions(raw, env);
  const appImage = matchFlag(raw, 'appImage', '--app-image', IMAGE, 'pass an image reference such as --app-image 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.0 (up to 255 characters)');
  const appPort = intFlag(raw, 'appPort', '--app-port', 8080, 1, 65535);
  if (appPort === 3000) fail('--app-port', '3000 is the port Grafana listens on in this stack', 'choose another port, e.g. --app-port 8080');
  if (appPort === 9090) fail('--app-port', '9090 is the port the Prometheus agent sidecar listens on in the same task', 'choose another port, e.g. --app-port 8080');
  const metricsPath = matchFlag(raw, 'metricsPath', '--metrics-path', URL_PATH, 'pass an absolute path such as --metrics-path /metrics', '/metrics')!;
  const publicMetrics = raw.publicMetrics === true;
  if (!publicMetrics) checkBlockableMetricsPath(metricsPath);
  const healthPath = matchFlag(raw, 'healthPath', '--health-path', URL_PATH, 'pass an absolute path such as --health-path /healthz', metricsPath)!;
  const desiredCount = intFlag(raw, 'desiredCount', '--desired-count', 3, 1, 100);
  const cpu = intFlag(raw, 'cpu', '--cpu', 256, 1, 16384);
  if (!FARGATE_MEMORY_BY_CPU[cpu]) fail('--cpu', `${cpu} is not a Fargate task size`, `use one of ${Object.keys(FARGATE_MEMORY_BY_CPU).join(', ')}`);
  const memory = intFlag(raw, 'memory', '--memory', cpu === 256 ? 512 : FARGATE_MEMORY_BY_CPU[cpu][0], 1, 122880);
  if (!FARGATE_MEMORY_BY_CPU[cpu].includes(memory)) {
    fail('--memory', `${memory} MiB is not allowed with --cpu ${cpu} on Fargate`, `use ${describeMemoryChoices(cpu)} MiB`);
  }
  const scrapeInterval = matchFlag(raw, 'scrapeInterval', '--scrape-interval', PROM_DURATION, 'pass a Prometheus duration such as --scrape-interval 15s', '15s')!;
  const seconds = parseDurationSeconds(scrapeInterval);
  if (scrapeInterval === '' || seconds < 1 || seconds > 300) {
    fail('--scrape-interval', `"${scrapeInterval}" must be between 1s and 5m`, 'pass e.g. --scrape-interval 15s');
  }
  const logRetention = intFlag(raw, 'logRetention', '--log-retention', 7, 1, 3653);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetention)) {
    fail('--log-retention', `CloudWatch Logs does not accept ${logRetention} days`, `use one of ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  const grafanaImage = matchFlag(raw, 'grafanaImage', '--grafana-image', IMAGE, 'pass an image reference such as --grafana-image grafana/grafana:12.4.5', DEFAULT_GRAFANA_IMAGE)!;
  const storageRaw = str(raw, 'grafanaStorage') ?? 'efs';
  const storage = z.enum(GRAFANA_STORAGE).safeParse(storageRaw);
  if (!storage.success) fail('--grafana-storage', `"${storageRaw}" is not a storage kind`, 'pass --grafana-storage efs (the default: kept across task replacements) or --grafana-storage ephemeral');
  const grafanaStorage = storage.data;
  const vpcId = matchFlag(raw, 'vpcId', '--vpc-id', VPC_ID, 'pass a VPC id such as --vpc-id vpc-0abc1234');
  const subnetIds = parseSubnetIds(str(raw, 'subnetIds'));
  const cidrRaw = str(raw, 'allowCidr');
  const allowCidr = cidrRaw ?? '0.0.0.0/0';
  if (!isIpv4Cidr(allowCidr)) fail('--allow-cidr', `"${allowCidr}" is not an IPv4 CIDR block`, 'pass e.g. --allow-cidr 203.0.113.0/24');
  const certificateArn = str(raw, 'certificateArn');
  if (certificateArn !== undefined) {
    if (!ACM_ARN.test(certificateArn)) fail('--certificate-arn', `"${certificateArn}" is not an ACM certificate ARN`, 'pass e.g. --certificate-arn arn:aws:acm:us-east-1:123456789012:certificate/<uuid>');
  }
  const domain = parseDomain(str(raw, 'domain'), certificateArn);
  const grafanaUrl = urlFlag(raw, 'grafanaUrl', '--grafana-url', 'http://127.0.0.1:3000/dashboard');
  return {
    ...conn,
    appImage,
    appPort,
    metricsPath,
    healthPath,
    desiredCount,
    cpu,
    memory,
    scrapeInterval,
    logRetention,
    grafanaImage,
    grafanaStorage,
    vpcId,
    subnetIds,
    allowCidr,
    allowCidrDefaulted: cidrRaw === undefined,
    certificateArn,
    domain,
    grafanaUrl,
    ampEndpointUrl: ampEndpointFromEnv(env),
    publicMetrics,
    yes: raw.yes === true,
    dryRun: raw.dryRun === true,
    wait: raw.wait !== false,
  };
}

/**
 * The ALB answers the metrics path (and `<path>/*`) with a 404 unless --public-metrics: that must not
 * hide the app or Grafana, and `<path>/*` must fit a path pattern (128 characters, `*` a wildcard).
 */
function checkBlockableMetricsPath(path: string): void {
  const fix = 'serve the metrics on a path of their own (e.g. --metrics-path /metrics), or pass --public-metrics to let the ALB serve it';
  if (path.replace(/\/+$/, '') === '') fail('--metrics-path', 'the ALB would answer 404 to every path of the app', fix);
  if (path === '/dashboard' || path.startsWith('/dashboard/')) fail('--metrics-path', `${path} would hide Grafana, which the ALB serves at /dashboard`, fix);
  if (path.includes('*')) fail('--metrics-path', '"*" is a wildcard in ALB path patterns', fix);
  if (path.length > 126) fail('--metrics-path', `ALB path patterns hold 128 characters and "${path.slice(0, 20)}…/*" has ${path.length + 2}`, fix);
}

function parseDomain(v: string | undefined, certificateArn: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const domain = v.toLowerCase().replace(/\.$/, '');
  if (!DOMAIN.test(domain)) fail('--domain', `"${v}" is not a host name`, 'pass the name to serve HTTPS under, e.g. --domain grafana.example.com (no wildcard, no scheme)');
  if (!certificateArn) fail('--domain', 'it names the HTTPS host, which needs a certificate', 'add --certificate-arn with a certificate covering it, or drop --domain');
  return domain;
}

function parseSubnetIds(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const ids = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = ids.find((id) => !SUBNET_ID.test(id));
  if (bad !== undefined) fail('--subnet-ids', `"${bad}" is not a subnet id`, 'pass a comma-separated list such as --subnet-ids subnet-0abc1234,subnet-0def5678');
  if (new Set(ids).size < 2) fail('--subnet-ids', 'an ALB needs at least two subnets in different availability zones', 'pass two or more subnet ids');
  return [...new Set(ids)];
}

export function isIpv4Cidr(v: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(v);
  if (!m) return false;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return false;
  // Host bits must be zero, as EC2 requires for a CIDR block.
  const addr = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (addr & ~mask) >>> 0 === 0;
}

export interface LoadOptions extends ConnectionOptions {
  /** --url: load this URL, no stack and no AWS call. */
  url?: string;
  /** --app-url: with a stack, send the load here instead of through its ALB (a port-forward, the sandbox's app). */
  appUrl?: string;
  /** --path; unset: the stack's `/`, or --url as given. */
  path?: string;
  rate: number;
  durationSeconds: number;
  connections: number;
  ampEndpointUrl?: string;
}

/** `load`: every flag checked here, before any network call. */
export function parseLoadOptions(raw: RawOptions, env: NodeJS.ProcessEnv = process.env): LoadOptions {
  const url = urlFlag(raw, 'url', '--url', 'http://127.0.0.1:8080/');
  const appUrl = urlFlag(raw, 'appUrl', '--app-url', 'http://127.0.0.1:8080/');
  if (url && appUrl) fail('--app-url', 'it replaces the stack\'s ALB, and --url names no stack', 'drop one of --url and --app-url');
  const path = matchFlag(raw, 'path', '--path', /^\/[^\s#]{0,2047}$/, 'pass an absolute path such as --path /api/items?limit=5');
  const rate = intFlag(raw, 'rate', '--rate', 50, 1, 10_000);
  const duration = str(raw, 'duration') ?? '30s';
  const durationSeconds = PROM_DURATION.test(duration) && duration !== '' ? parseDurationSeconds(duration) : NaN;
  if (!(durationSeconds >= 1 && durationSeconds <= 3600) || !Number.isInteger(durationSeconds)) {
    fail('--duration', `"${duration}" must be whole seconds from 1s to 1h`, 'pass e.g. --duration 30s or --duration 5m');
  }
  const connections = intFlag(raw, 'connections', '--connections', 10, 1, 1000);
  // With --url there is no stack: the connection flags are not read, and no AWS call is made.
  const conn = url ? { name: DEFAULT_STACK_NAME, json: raw.json === true } : parseConnectionOptions(raw, env);
  return {
    ...conn,
    url,
    appUrl,
    path,
    rate,
    durationSeconds,
    connections,
    ampEndpointUrl: url ? undefined : urlFlag(raw, 'ampEndpointUrl', '--amp-endpoint-url', 'http://127.0.0.1:9095') ?? ampEndpointFromEnv(env),
  };
}
