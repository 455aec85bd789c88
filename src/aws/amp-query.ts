import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AwsCredentialIdentity, Provider } from '@aws-sdk/types';
import type { SignatureV4 } from '@smithy/signature-v4';
import { sdk } from './sdk.js';
import { CliError } from '../errors.js';
import { readBody } from '@fargate-prom/aws-sim/util/http';

/** One element of an instant vector: its labels and [evaluation time, value]. */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One series of a range query: its labels and its [time, value] points. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/**
 * PromQL against an AMP workspace's query API, SigV4-signed for service `aps` with the caller's
 * credentials (the same chain the AWS clients use). `base` is the workspace URL, …/workspaces/<id>.
 */
export class AmpQueryClient {
  private readonly signer: SignatureV4;

  constructor(private readonly base: string, region: string, credentials: Provider<AwsCredentialIdentity>, private readonly timeoutMs = 10_000) {
    this.signer = new (sdk.signing().SignatureV4)({ credentials, region, service: 'aps', sha256: sdk.sha256().Sha256 });
  }

  /** An instant query; POST with a form body, as Grafana does, so long queries fit. */
  async instant(promql: string): Promise<VectorSample[]> {
    const body = new URLSearchParams({ query: promql }).toString();
    const doc = await this.post('/api/v1/query', body) as { status: string; data?: { resultType: string; result: VectorSample[] }; error?: string };
    if (doc.status !== 'success' || !doc.data) throw new CliError(`AMP rejected the query ${promql}: ${doc.error ?? 'no data'}`);
    if (doc.data.resultType === 'scalar') {
      const [t, v] = doc.data.result as unknown as [number, string];
      return [{ metric: {}, value: [t, v] }];
    }
    return doc.data.result;
  }

  /** A range query: each series' [time, value] points from `start` to `end` (Unix seconds) every `step` seconds. */
  async range(promql: string, start: number, end: number, step: number): Promise<RangeSeries[]> {
    const body = new URLSearchParams({ query: promql, start: String(start), end: String(end), step: String(step) }).toString();
    const doc = await this.post('/api/v1/query_range', body) as { status: string; data?: { result: RangeSeries[] }; error?: string };
    if (doc.status !== 'success' || !doc.data) throw new CliError(`AMP rejected the query ${promql}: ${doc.error ?? 'no data'}`);
    return doc.data.result;
  }

  private async post(route: string, body: string): Promise<unknown> {
    const url = new URL(`${this.base}${route}`);
    const signed = await this.signer.sign(new (sdk.http().HttpRequest)({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    }));
    const { status, text } = await send(url, signed.headers, body, this.timeoutMs);
    if (status === 403 || status === 401) throw new CliError(`AMP refused the query (HTTP ${status}): ${messageOf(text)}; the caller needs aps:QueryMetrics on the workspace`);
    if (status === 404) throw new CliError(`AMP answered 404 for ${url.origin}${url.pathname}: ${messageOf(text)}`);
    if (status >= 400 && status !== 422 && status !== 400) throw new CliError(`AMP query API answered HTTP ${status}: ${messageOf(text)}`);
    try {
      return JSON.parse(text);
    } catch {
      throw new CliError(`AMP query API answered something that is not JSON (HTTP ${status})`);
    }
  }
}

/** What AMP said, from a raw body: its JSON `message`/`error`, else the text itself (AMP's errors are not always JSON). */
function messageOf(text: string): string {
  try {
    const doc = JSON.parse(text) as { message?: string; error?: string };
    return doc.message ?? doc.error ?? text.slice(0, 200);
  } catch {
    return text.slice(0, 200).trim() || '(empty body)';
  }
}

function send(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'POST', headers, timeout: timeoutMs }, (res) => {
      readBody(res).then((body) => resolve({ status: res.statusCode ?? 0, text: body.toString('utf8') }), reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
    req.on('error', (err) => reject(new CliError(`cannot reach the AMP query API at ${url.origin}: ${err.message}`)));
    req.end(body);
  });
}
