import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { DataPlaneCredentials } from './amp-data-plane.js';
import { readBody } from '../util/http.js';

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
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `signing proxy: ${(err as Error).message}` }));
    });
  });

  async function proxy(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', target);
    const headers: Record<string, string> = { host: target.host };
    for (const name of ['content-type', 'content-encoding', 'x-prometheus-remote-write-version']) {
      if (typeof req.headers[name] === 'string') headers[name] = req.headers[name] as string;
    }
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
    await new Promise<void>((resolve, reject) => {
      const upstream = httpRequest(url, { method: req.method, headers: signed.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on('end', resolve);
      });
      upstream.on('error', reject);
      upstream.end(body);
    });
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
