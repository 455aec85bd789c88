import { spawn, type ChildProcess } from 'node:child_process';
import { stopProcess } from '../util/process.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { freeLoopbackPort } from '../util/ports.js';
import { readBody } from '../util/http.js';

export interface DataPlaneCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AmpDataPlane {
  /** http://127.0.0.1:<port>: serves AMP's data-plane paths, /workspaces/<id>/api/v1/… */
  url: string;
  remoteWriteUrl(workspaceId: string): string;
  /** The Prometheus behind it, unsigned, for tests that look at what arrived. */
  prometheusUrl: string;
  /** Requests turned away because their SigV4 signature did not verify. */
  rejections(): { count: number; last?: string };
  stop(): Promise<void>;
}

/** The query API routes AMP serves under /workspaces/<id>/api/v1/ (and we forward as they are). */
const QUERY_ROUTES = /^(query|query_range|series|labels|label\/[^/]+\/values|metadata|query_exemplars)$/;
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * A local stand-in for AMP's data plane: a real Prometheus with the remote-write receiver enabled,
 * behind a front that accepts only requests SigV4-signed like AMP wants them (service `aps`, this
 * region, these credentials) and maps AMP's paths onto Prometheus's own.
 */
/**
 * `credentials`: the principals AMP knows here (IAM would accept any valid one with the permission):
 * say the agent's task role and the user who runs `status`.
 */
export async function startAmpDataPlane(opts: { region: string; credentials: DataPlaneCredentials | DataPlaneCredentials[]; prometheusBin?: string }): Promise<AmpDataPlane> {
  const principals = new Map((Array.isArray(opts.credentials) ? opts.credentials : [opts.credentials]).map((c) => [c.accessKeyId, c]));
  const dir = mkdtempSync(join(tmpdir(), 'fargate-prom-amp-'));
  const promPort = await freeLoopbackPort();
  const prometheusUrl = `http://127.0.0.1:${promPort}`;
  writeFileSync(join(dir, 'prometheus.yml'), 'global: {}\n');
  const prometheus = spawn(opts.prometheusBin ?? 'prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    '--web.enable-remote-write-receiver',
    // Agents send what they buffered while the receiver was away: accept it rather than drop it.
    '--storage.tsdb.retention.time=1d',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let promLog = '';
  prometheus.stderr!.on('data', (d: Buffer) => (promLog = (promLog + d.toString()).slice(-4000)));
  const spawnFailed = new Promise<never>((_, reject) => {
    prometheus.once('error', (err) => reject(new Error(`could not start prometheus: ${err.message}`)));
    prometheus.once('exit', (code) => reject(new Error(`prometheus exited (${code}) before it was ready:\n${promLog}`)));
  });
  spawnFailed.catch(() => undefined);

  const cleanup = async () => {
    await stopProcess(prometheus);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([waitReady(`${prometheusUrl}/-/ready`), spawnFailed]);
  } catch (err) {
    await cleanup();
    throw err;
  }

  let rejected = 0;
  let lastRejection: string | undefined;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => reply(res, 500, { message: (err as Error).message }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const match = /^\/workspaces\/(ws-[A-Za-z0-9-]+)\/api\/v1\/(.+)$/.exec(url.pathname);
    if (!match) return reply(res, 404, { message: `no such AMP route: ${url.pathname}` });
    const problem = await checkSignature(principals, opts.region, req, url, body);
    if (problem) {
      rejected++;
      lastRejection = problem;
      return reply(res, 403, { message: problem });
    }
    const route = match[2];
    if (route === 'remote_write' && req.method === 'POST') return forward(req, res, `${prometheusUrl}/api/v1/write`, body);
    if (QUERY_ROUTES.test(route)) return forward(req, res, `${prometheusUrl}/api/v1/${route}${url.search}`, body);
    return reply(res, 404, { message: `no such AMP route: ${url.pathname}` });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    prometheusUrl,
    remoteWriteUrl: (workspaceId) => `${url}/workspaces/${workspaceId}/api/v1/remote_write`,
    rejections: () => ({ count: rejected, last: lastRejection }),
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await cleanup();
    },
  };
}

/** Why the request's signature does not verify, or undefined when it does. Messages are AMP's. */
async function checkSignature(
  principals: Map<string, DataPlaneCredentials>,
  planeRegion: string,
  req: IncomingMessage,
  url: URL,
  body: Buffer,
): Promise<string | undefined> {
  const auth = req.headers.authorization ?? '';
  const parsed = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!parsed) return 'Missing Authentication Token';
  const [, accessKeyId, , region, service, signedHeaderList, signature] = parsed;
  const credentials = principals.get(accessKeyId);
  if (!credentials) return 'The security token included in the request is invalid.';
  if (service !== 'aps') return `Credential should be scoped to correct service: 'aps'.`;
  if (region !== planeRegion) return `Credential should be scoped to a valid region, not '${region}'.`;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const signingDate = parseAmzDate(amzDate);
  if (!signingDate) return 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.';
  if (Math.abs(Date.now() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) return 'Signature expired: the request time is too far from the server time.';

  // Re-sign exactly the headers the client signed, and compare.
  const signed = new Set(signedHeaderList.split(';'));
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = req.headers[name];
    if (value === undefined) return `Signed header ${name} is missing from the request.`;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const verifier = new SignatureV4({ credentials, region: planeRegion, service: 'aps', sha256: Sha256, applyChecksum: false });
  const expected = await verifier.sign(new HttpRequest({
    method: req.method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    path: url.pathname,
    query,
    headers,
    body: new Uint8Array(body),
  }), { signingDate, signingRegion: region, signingService: 'aps', signableHeaders: signed });
  const expectedSignature = /Signature=([0-9a-f]{64})/.exec(expected.headers.authorization ?? '')?.[1];
  return expectedSignature === signature
    ? undefined
    : 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';
}

function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : undefined;
}


function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const FORWARDED_HEADERS = ['content-type', 'content-encoding', 'x-prometheus-remote-write-version'];

function forward(req: IncomingMessage, res: ServerResponse, target: string, body: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name] as string;
    const upstream = httpRequest(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, { 'content-type': up.headers['content-type'] ?? 'application/json' });
      up.pipe(res);
      up.on('end', resolve);
    });
    upstream.on('error', (err) => {
      reply(res, 502, { message: `data plane unavailable: ${err.message}` });
      resolve();
    });
    upstream.end(body);
  });
}

async function waitReady(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`prometheus did not become ready at ${url} within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
