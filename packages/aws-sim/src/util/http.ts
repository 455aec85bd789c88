import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';

/** The whole body of a request or response. */
export function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Request headers a Prometheus data-plane front passes on (remote write and the query API need no others). */
const FORWARDED_HEADERS = ['content-type', 'content-encoding', 'x-prometheus-remote-write-version'];

/** The headers of `req` that a data-plane front forwards, from FORWARDED_HEADERS. */
export function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) if (typeof req.headers[name] === 'string') headers[name] = req.headers[name] as string;
  return headers;
}

/**
 * Sends `body` to `target` and streams the answer into `res`: its status, and either all its headers or
 * only its content-type. Rejects, with nothing written to `res`, when `target` cannot be reached.
 */
export function forwardTo(
  res: ServerResponse,
  target: string | URL,
  opts: { method?: string; headers: OutgoingHttpHeaders; body: Buffer; responseHeaders: 'all' | 'content-type' },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(target, { method: opts.method, headers: opts.headers }, (up) => {
      const headers = opts.responseHeaders === 'all' ? up.headers : { 'content-type': up.headers['content-type'] ?? 'application/json' };
      res.writeHead(up.statusCode ?? 502, headers);
      up.pipe(res);
      up.on('end', resolve);
    });
    upstream.on('error', reject);
    upstream.end(opts.body);
  });
}
