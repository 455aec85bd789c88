import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { DataPlaneCredentials } from './amp-data-plane.js';
import { forwardTo, forwardedHeaders, readBody } from './util/http.js';
import { errorReply, sendReply } from './wire.js';

export interface SigningProxy {
  url: string;
  stop(): Promise<void>;
}

/**
 * Signs what a local agent sends, like the aws-sigv4-proxy sidecar: Debian's prometheus 2.42 build
 * sends remote-write requests unsigned even with a `sigv4` block (no Authorization header at all), while
 * the upstream image the task definition deploys signs them itself. Put this between the local agent
 * and the data plane; it signs for service `aps` and the region the agent's config names, with the
 * credentials the agent would have found in its environment, so a wrong region or key is still refused.
 */
export async function startSigningProxy(opts: { target: string; region: string; credentials: DataPlaneCredentials }): Promise<SigningProxy> {
  const target = new URL(opts.target);
  const signer = new SignatureV4({ credentials: opts.credentials, region: opts.region, service: 'aps', sha256: Sha256, applyChecksum: false });
  const server: Server = createServer((req, res) => {
    proxy(req, res).catch((err) => {
      sendReply(res, errorReply('restJson', 'ServiceUnavailableException', `signing proxy: ${(err as Error).message}`, 502));
    });
  });

  async function proxy(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', target);
    const headers = { host: target.host, ...forwardedHeaders(req) };
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const signed = await signer.sign(new HttpRequest({
      method: req.method,
      protocol: target.protocol,
      hostname: target.hostname,
      port: Number(target.port),
      path: url.pathname,
      query,
      headers,
      body: new Uint8Array(body),
    }));
    await forwardTo(res, url, { method: req.method, headers: signed.headers, body, responseHeaders: 'all' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
