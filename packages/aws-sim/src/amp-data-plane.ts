import { spawn } from 'node:child_process';
import { stderrTail, stopProcess, waitUntilAnswering } from './util/process.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { freeLoopbackPort } from './util/ports.js';
import { forwardTo, forwardedHeaders, readBody } from './util/http.js';
import { errorReply, sendReply } from './wire.js';

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
  const promLog = stderrTail(prometheus);

  const cleanup = async () => {
    await stopProcess(prometheus);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilAnswering(`${prometheusUrl}/-/ready`, prometheus);
  } catch (err) {
    await cleanup();
    throw new Error(`prometheus did not start: ${(err as Error).message}\n${promLog()}`);
  }

  let rejected = 0;
  let lastRejection: string | undefined;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => reply(res, 500, 'InternalServerException', (err as Error).message));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const match = /^\/workspaces\/(ws-[A-Za-z0-9-]+)\/api\/v1\/(.+)$/.exec(url.pathname);
    if (!match) return reply(res, 404, 'ResourceNotFoundException', `no such AMP route: ${url.pathname}`);
    const problem = await checkSignature(principals, opts.region, req, url, body);
    if (problem) {
      rejected++;
      lastRejection = problem;
      return reply(res, 403, signatureErrorCode(problem), problem);
    }
    const route = match[2];
    if (route === 'remote_write' && req.method === 'POST') return forward(req, res, `${prometheusUrl}/api/v1/write`, body);
    if (QUERY_ROUTES.test(route)) return forward(req, res, `${prometheusUrl}/api/v1/${route}${url.search}`, body);
    return reply(res, 404, 'ResourceNotFoundException', `no such AMP route: ${url.pathname}`);
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

/** The x-amzn-ErrorType AWS gives with each signature problem checkSignature reports. */
function signatureErrorCode(problem: string): string {
  if (problem === 'Missing Authentication Token') return 'MissingAuthenticationTokenException';
  if (problem.startsWith('The security token')) return 'UnrecognizedClientException';
  return 'InvalidSignatureException';
}

/** An error as AMP's restJson API sends it: `{"message": …}` with x-amzn-ErrorType. */
function reply(res: ServerResponse, status: number, code: string, message: string): void {
  sendReply(res, errorReply('restJson', code, message, status));
}

async function forward(req: IncomingMessage, res: ServerResponse, target: string, body: Buffer): Promise<void> {
  try {
    await forwardTo(res, target, { method: req.method, headers: forwardedHeaders(req), body, responseHeaders: 'content-type' });
  } catch (err) {
    reply(res, 502, 'ServiceUnavailableException', `data plane unavailable: ${(err as Error).message}`);
  }
}
