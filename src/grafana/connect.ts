// Reaching Grafana: the admin password from Secrets Manager, the health probe, bounded waiting, sign-in.
import type { AwsClients } from '../aws/clients.js';
import { describeError } from '../aws/errors.js';
import { pollUntil } from '../aws/retry.js';
import { CliError, TimeoutError } from '../errors.js';
import type { Reporter } from '../ui/reporter.js';
import { formatDuration, scaled } from '../util/time.js';
import { GrafanaClient, GrafanaError } from './api.js';
import { sdk } from '../aws/sdk.js';


export interface ConnectOptions {
  aws: AwsClients;
  secretName: string;
  url: string;
  reporter: Reporter;
  signal?: AbortSignal;
  /** Real-world limit of the wait for /api/health. */
  waitMs?: number;
  /** True when the URL is the ALB's (a DNS failure then means "not resolvable from here"). */
  viaAlb?: boolean;
  /** --allow-cidr: who the ALB admits (named when this machine seems not to be among them). */
  allowCidr?: string;
}

export interface Connected {
  client: GrafanaClient;
  version?: string;
}

/** Reads the Grafana admin password from Secrets Manager. The value is never logged or printed. */
async function readAdminPassword(aws: AwsClients, secretName: string): Promise<string> {
  try {
    const { GetSecretValueCommand } = sdk.secrets();
    const out = await aws.secrets.send(new GetSecretValueCommand({ SecretId: secretName }));
    if (!out.SecretString) throw new CliError(`secret ${secretName} has no string value`);
    return out.SecretString;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read the Grafana admin password from Secrets Manager (${secretName}): ${describeError(err)}`);
  }
}

/** `timedOut`: no answer at all (a connection or request timeout), as opposed to an HTTP error; `unresolved`: DNS. */
export type HealthSeen = { ok: true; version?: string } | { ok: false; reason: string; timedOut?: boolean; unresolved?: boolean };

async function probeHealth(client: GrafanaClient): Promise<HealthSeen> {
  try {
    const res = await client.get<{ database?: string; version?: string }>('/api/health', [503]);
    if (res.status === 200 && res.body && typeof res.body === 'object') return { ok: true, version: res.body.version };
    return { ok: false, reason: res.status === 503 ? 'its database is failing' : `answered ${res.status}` };
  } catch (err) {
    if (err instanceof GrafanaError) return { ok: false, reason: err.message, timedOut: err.timedOut, unresolved: err.unresolved };
    throw err;
  }
}

export interface GrafanaAccess {
  /** Grafana's normalised base URL. */
  base: string;
  /** /api/health without credentials. */
  probe: () => Promise<HealthSeen>;
  /** A client signed in with the admin password from Secrets Manager. */
  signIn: () => Promise<GrafanaClient>;
}

/** Reaching the Grafana at `url`: the anonymous health probe, then the admin sign-in. */
export function grafanaAccess(opts: { aws: AwsClients; secretName: string; url: string; signal?: AbortSignal; timeoutMs?: number }): GrafanaAccess {
  const anonymous = new GrafanaClient({ baseUrl: opts.url, signal: opts.signal, timeoutMs: 10_000 });
  const base = anonymous.baseUrl;
  return {
    base,
    probe: () => probeHealth(anonymous),
    signIn: async () => new GrafanaClient({ baseUrl: base, password: await readAdminPassword(opts.aws, opts.secretName), signal: opts.signal, timeoutMs: opts.timeoutMs }),
  };
}

// How long only timeouts (never an HTTP answer, not even an error) may last before up stops waiting.
const UNREACHABLE_MS = 30_000;
const PROBE_INTERVAL_MS = 5_000;

/**
 * The health probe through the ALB, stopping the wait after about 30 s in which every probe timed out:
 * an ALB whose security group drops this machine's packets never answers, while a reachable one answers
 * at once (502/503 while Grafana starts), so five minutes of waiting would not help.
 */
function failFastWhenUnreachable(grafana: GrafanaAccess, allowCidr: string | undefined): () => Promise<HealthSeen> {
  const start = Date.now();
  let answered = false;
  return async () => {
    const seen = await grafana.probe();
    answered ||= seen.ok || !seen.timedOut;
    if (!answered && Date.now() - start + scaled(PROBE_INTERVAL_MS) >= scaled(UNREACHABLE_MS)) {
      const why = allowCidr && allowCidr !== '0.0.0.0/0'
        ? `the load balancer admits only --allow-cidr ${allowCidr}, and this machine's address may be outside it: pass --allow-cidr <your ip>/32 (or a block holding it)`
        : 'something between this machine and the load balancer drops the connections (a firewall or proxy)';
      throw new GrafanaError(`Grafana at ${grafana.base} did not answer for ${formatDuration(UNREACHABLE_MS)}: every connection timed out; ${why}, or reach Grafana another way with --grafana-url, then run up again`);
    }
    return seen;
  };
}

/** Waits (bounded, with progress) until Grafana answers /api/health, then signs in with the admin password. */
export async function connectGrafana(opts: ConnectOptions): Promise<Connected> {
  const grafana = grafanaAccess(opts);
  const base = grafana.base;
  const waitMs = opts.waitMs ?? 5 * 60_000;
  let seen: HealthSeen | undefined;
  try {
    const probe = opts.viaAlb ? failFastWhenUnreachable(grafana, opts.allowCidr) : grafana.probe;
    seen = await pollUntil(async () => (seen = await probe()), (v) => v.ok, {
      what: `Grafana at ${base}/api/health`,
      timeoutMs: waitMs,
      intervalMs: PROBE_INTERVAL_MS,
      signal: opts.signal,
      onPoll: (v) => opts.reporter.waiting('grafana', `waiting for Grafana at ${base}: ${v.ok ? 'up' : v.reason}`),
      explain: (v) => (v.ok ? 'up' : v.reason),
    });
  } catch (err) {
    // Only pollUntil's own timeout gets the hint; an interrupt (exit 130) passes through as it is.
    if (!(err instanceof TimeoutError)) throw err;
    const dns = seen?.ok === false && seen.unresolved;
    const hint = dns
      ? opts.viaAlb
        ? '; the load balancer\'s name does not resolve from here: reach Grafana another way with --grafana-url (e.g. a port-forward)'
        : '; check --grafana-url'
      : '; check that the Grafana service is running (fargate-prom status) or pass --grafana-url';
    throw new GrafanaError(`${err.message}${hint}`);
  }
  const client = await grafana.signIn();
  return { client, version: seen.ok ? seen.version : undefined };
}

