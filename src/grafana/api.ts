import { CliError } from '../errors.js';
import { scaled } from '../util/time.js';

/** A Grafana answer the caller may want to branch on (404, 409…); anything else becomes a GrafanaError. */
interface GrafanaResponse<T = any> {
  status: number;
  body: T;
}

/** One line naming the route and what Grafana (or the network) said. Never carries credentials. */
export class GrafanaError extends CliError {
  /** Grafana's answer, when it answered. */
  readonly status?: number;
  /** No answer within the request's bound. */
  readonly timedOut: boolean;
  /** Grafana's host name does not resolve (DNS). */
  readonly unresolved: boolean;

  constructor(message: string, status?: number, why: { timedOut?: boolean; unresolved?: boolean } = {}) {
    super(message, 'GRAFANA');
    this.status = status;
    this.timedOut = why.timedOut ?? false;
    this.unresolved = why.unresolved ?? false;
    this.name = 'GrafanaError';
  }
}

interface GrafanaClientOptions {
  /** Where Grafana is served, including its sub path: http://host/dashboard */
  baseUrl: string;
  user?: string;
  password?: string;
  /** Per request, in real-world milliseconds (shrunk by FARGATE_PROM_TIME_SCALE, never below 2 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface RequestOptions {
  /** This request's bound instead of the client's, in real-world milliseconds (scaled the same way). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** A request's bound in this process: real-world milliseconds scaled for the simulation, never below 2 s. */
function boundOf(ms: number): number {
  return Math.max(scaled(ms), 2_000);
}

/** Normalises a Grafana URL as users write it (`…/dashboard/`, `…/dashboard`) to a base without the trailing slash. */
export function grafanaBase(url: string): string {
  const u = new URL(url);
  u.search = '';
  u.hash = '';
  return u.href.replace(/\/+$/, '');
}

/**
 * Where the CLI reaches a stack's Grafana: --grafana-url, else the stack's URL through its ALB. Not at all
 * when the AWS calls go to a local emulator (--endpoint-url) and no --grafana-url is given: the emulator's
 * load balancer names resolve nowhere. `none`: the stack has no load balancer (yet).
 */
export type GrafanaTarget = { kind: 'url'; url: string } | { kind: 'emulator' } | { kind: 'none' };

export function grafanaTarget(input: { grafanaUrl?: string; stackUrl?: string; endpointUrl?: string }): GrafanaTarget {
  if (input.grafanaUrl) return { kind: 'url', url: input.grafanaUrl };
  if (input.endpointUrl) return { kind: 'emulator' };
  return input.stackUrl ? { kind: 'url', url: input.stackUrl } : { kind: 'none' };
}

/** A loopback host: plain HTTP to it never leaves the machine. */
export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1';
}

/**
 * A small client for Grafana's HTTP API: basic auth, a bounded timeout on every request, and errors as
 * one line naming the method, route and status. The password is only ever put in the Authorization header.
 */
export class GrafanaClient {
  readonly baseUrl: string;
  private readonly auth?: string;
  private readonly timeoutMs: number;
  private readonly signal?: AbortSignal;
  private readonly secrets: string[];

  constructor(opts: GrafanaClientOptions) {
    this.baseUrl = grafanaBase(opts.baseUrl);
    this.auth = opts.password !== undefined ? `Basic ${Buffer.from(`${opts.user ?? 'admin'}:${opts.password}`).toString('base64')}` : undefined;
    this.timeoutMs = boundOf(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.signal = opts.signal;
    this.secrets = opts.password ? [opts.password, this.auth!.slice(6)] : [];
  }

  /** The absolute URL of a path Grafana returns relative to its server (importedUrl, meta.url: `/dashboard/d/…`). */
  absolute(path: string): string {
    const base = new URL(`${this.baseUrl}/`);
    // Grafana's URLs already carry the sub path; a relative one (no leading slash) is relative to the base.
    return new URL(path, path.startsWith('/') ? base.origin : base).href;
  }

  get<T = any>(route: string, accept: number[] = [], opts: RequestOptions = {}): Promise<GrafanaResponse<T>> {
    return this.request<T>('GET', route, undefined, accept, opts);
  }

  post<T = any>(route: string, body: unknown, accept: number[] = []): Promise<GrafanaResponse<T>> {
    return this.request<T>('POST', route, body, accept);
  }

  put<T = any>(route: string, body: unknown, accept: number[] = []): Promise<GrafanaResponse<T>> {
    return this.request<T>('PUT', route, body, accept);
  }

  delete<T = any>(route: string, accept: number[] = []): Promise<GrafanaResponse<T>> {
    return this.request<T>('DELETE', route, undefined, accept);
  }

  /**
   * Sends one request. 2xx and the statuses in `accept` come back; anything else, a timeout or a network
   * failure throws a GrafanaError with one clear line.
   */
  async request<T = any>(method: string, route: string, body: unknown, accept: number[] = [], opts: RequestOptions = {}): Promise<GrafanaResponse<T>> {
    const what = `${method} ${route.replace(/\?.*$/, '')}`;
    const timeoutMs = opts.timeoutMs === undefined ? this.timeoutMs : boundOf(opts.timeoutMs);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = this.signal ? AbortSignal.any([this.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.auth) headers.authorization = this.auth;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.baseUrl}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, redirect: 'manual' });
      text = await res.text();
    } catch (err) {
      if (this.signal?.aborted) throw this.signal.reason;
      if (timeout.aborted) throw new GrafanaError(`Grafana at ${this.baseUrl} did not answer ${what} within ${Math.round(timeoutMs / 1000)}s`, undefined, { timedOut: true });
      const code = networkCode(err) ?? '';
      throw new GrafanaError(`cannot reach Grafana at ${this.baseUrl} (${what}): ${networkReason(err)}`, undefined, {
        timedOut: CONNECT_TIMEOUT.includes(code),
        unresolved: UNRESOLVED.includes(code),
      });
    }
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (a proxy's HTML error page, say): keep the text for the message.
    }
    if ((res.status >= 200 && res.status < 300) || accept.includes(res.status)) return { status: res.status, body: parsed as T };
    throw new GrafanaError(this.describe(res, what, parsed), res.status);
  }

  private describe(res: Response, what: string, body: any): string {
    const said = this.redact(grafanaMessage(body));
    const base = `Grafana answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''} to ${what}${said ? `: ${said}` : ''}`;
    if (res.status === 401) {
      return `${base} — the admin password in Secrets Manager is not Grafana's (it applies only when Grafana starts with an empty database); check the Grafana task, or reset the password in Grafana to the secret's value`;
    }
    if (res.status === 403) return `${base} — the admin user lacks the permission`;
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      return `${base}${location ? ` (redirect to ${location})` : ''} — is --grafana-url Grafana's URL including its sub path, e.g. http://127.0.0.1:3000/dashboard?`;
    }
    return base;
  }

  private redact(s: string): string {
    let out = s;
    for (const secret of this.secrets) if (secret) out = out.split(secret).join('***');
    return out;
  }
}

/** What Grafana said, from its usual `{message}` body or a short text, on one line. */
export function grafanaMessage(body: unknown): string {
  let s = '';
  if (body && typeof body === 'object') {
    const b = body as { message?: unknown; error?: unknown };
    s = String(b.message ?? b.error ?? '');
  } else if (typeof body === 'string') {
    s = /<html|<!doctype/i.test(body) ? '' : body;
  }
  s = s.replace(/\s+/g, ' ').trim();
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** The system error code of a failed fetch (fetch puts the system error in `cause`). */
function networkCode(err: unknown): string | undefined {
  return (err as { cause?: { code?: string } })?.cause?.code ?? (err as { code?: string })?.code;
}

// The codes of a host name that does not resolve, and of a connection that was never answered.
const UNRESOLVED = ['ENOTFOUND', 'EAI_AGAIN'];
const CONNECT_TIMEOUT = ['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT'];

/** Why a request did not get through, in words. */
export function networkReason(err: unknown): string {
  const cause = (err as { cause?: { message?: string } })?.cause;
  const code = networkCode(err);
  if (code && UNRESOLVED.includes(code)) return 'its host name does not resolve (DNS)';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was closed';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'the connection timed out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the host';
    default:
      return (cause?.message ?? (err as Error)?.message ?? String(err)).replace(/\s+/g, ' ').trim();
  }
}
