import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import autocannon from 'autocannon';
import { CliError } from '../errors.js';

/** What one run sent and got back, counted request by request. */
export interface LoadTotals {
  url: string;
  /** The sending window in seconds: from the first request until sending stopped (the duration, or Ctrl-C). */
  durationSeconds: number;
  rate: { target: number; achieved: number };
  requests: {
    /** Requests written to the server: ok + errors (in-flight ones are waited for before the report). */
    total: number;
    /** 2xx and 3xx answers. */
    ok: number;
    /** Other statuses, timeouts, and connections reset or refused with a request in flight. */
    errors: number;
    statusCodes: Record<string, number>;
    timeouts: number;
    resets: number;
  };
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  startedAt: string;
  endedAt: string;
  /** Stopped early by Ctrl-C. */
  interrupted: boolean;
}

/** What the live line shows, about once a second. */
export interface LoadProgress {
  elapsedSeconds: number;
  sent: number;
  ok: number;
  errors: number;
  /** Answers in the last second. */
  currentRate: number;
}

export interface DriveOptions {
  url: string;
  rate: number;
  durationSeconds: number;
  connections: number;
  /** Aborting stops sending early; the requests in flight are still waited for and counted. */
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
}

/** Seconds a request may take before it counts as a timeout (autocannon's default too). */
const REQUEST_TIMEOUT_S = 10;

/**
 * The target answers a TCP connect (and a verified TLS handshake for https) before any load: a closed
 * port, a name that does not resolve or a bad certificate is one clear failure, not a run of errors.
 * No HTTP request is sent, so the server's count is the load's alone.
 */
export function probe(url: URL, timeoutMs = 10_000): Promise<void> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = url.protocol === 'https:'
      ? tlsConnect({ host, port, servername: /^[\d.]+$|:/.test(host) ? undefined : host, ALPNProtocols: ['http/1.1'] }, () => done())
      : netConnect({ host, port }, () => done());
    const timer = setTimeout(() => fail(new Error(`no connection within ${timeoutMs / 1000}s`)), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const fail = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new CliError(`cannot reach ${url.origin}: ${describeConnectError(err, url)}`));
    };
    socket.once('error', fail);
  });
}

function describeConnectError(err: NodeJS.ErrnoException, url: URL): string {
  switch (err.code) {
    case 'ECONNREFUSED': return `connection refused (nothing listens on port ${url.port || (url.protocol === 'https:' ? 443 : 80)})`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `the name ${url.hostname} does not resolve`;
    case 'ETIMEDOUT': return 'the connection timed out';
    default: return err.code && /CERT|SSL|TLS|SELF_SIGNED|ALTNAME/i.test(err.code) ? `TLS error: ${err.message}` : err.message;
  }
}

/** p50, p90, p99 and max (nearest rank) of bucketed latencies. */
function percentiles(buckets: Map<number, number>): LoadTotals['latencyMs'] {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const n = sorted.reduce((sum, [, c]) => sum + c, 0);
  const at = (p: number) => {
    const rank = Math.max(1, Math.ceil((p / 100) * n));
    let seen = 0;
    for (const [ms, c] of sorted) if ((seen += c) >= rank) return ms;
    return 0;
  };
  return { p50: at(50), p90: at(90), p99: at(99), max: sorted.at(-1)?.[0] ?? 0 };
}

/**
 * autocannon's connection, as far as the counting needs it: its typings list only headers/body/response
 * events, and its queue of requests awaiting an answer is internal.
 */
type Client = {
  on(event: 'request' | 'timeout', listener: () => void): void;
  on(event: 'response', listener: (status: number, bytes: number, ms: number) => void): void;
  /** The requests this connection may make before it ends; autocannon reads it before each request. */
  responseMax?: number;
  reqsMade: number;
  /** This connection's share of the overall rate, per second. */
  rate: number;
  /** Opens a (new) socket: initially, and after an error, a close by the server or a timeout. */
  _connect(): void;
  pipelinedRequests: { pendingRequests: unknown[] };
};

/**
 * A constant overall rate against `url` with autocannon (its overallRate: each second, every connection
 * sends its share). Counting is ours, per request: autocannon's own totals leave out requests in flight
 * when it stops, count refused reconnects as errors, and keep latencies of 2xx only. To stop, every
 * connection is told to send nothing more, and the run ends once the requests in flight are answered
 * (or time out), so the total is what the server received.
 */
export async function drive(opts: DriveOptions): Promise<LoadTotals> {
  const target = new URL(opts.url);
  await probe(target);
  const counts = { sent: 0, ok: 0, errors: 0, timeouts: 0, lost: 0 };
  const statusCodes: Record<string, number> = {};
  // Latencies in 0.1 ms buckets: bounded memory however long the run.
  const latencies = new Map<number, number>();
  const clients: Client[] = [];
  let answeredThisSecond = 0;
  // Requests a connection still awaited when its socket went away (reset, closed, timed out) or the run
  // ended: never answered, so errors. Clearing them also keeps autocannon from timing the next answer
  // from the lost request's start.
  const lose = (client: Client) => {
    const n = client.pipelinedRequests.pendingRequests.length;
    client.pipelinedRequests.pendingRequests.length = 0;
    counts.errors += n;
    counts.lost += n;
  };

  const started = Date.now();
  let stoppedAt: number | undefined;
  let lastSentAt = started;
  let finish!: (err: Error | null) => void;
  const finished = new Promise<void>((resolve, reject) => { finish = (err) => (err ? reject(new CliError(`the load run failed: ${err.message}`)) : resolve()); });
  autocannon({
    url: target.toString(),
    connections: opts.connections,
    overallRate: opts.rate,
    // Each connection ends after its share (responseMax, below); this is only a backstop.
    duration: opts.durationSeconds + 2 * REQUEST_TIMEOUT_S + 5,
    timeout: REQUEST_TIMEOUT_S,
    excludeErrorStats: false,
    setupClient: (c) => {
      const client = c as unknown as Client;
      clients.push(client);
      const connect = client._connect.bind(client);
      client._connect = () => {
        lose(client);
        connect();
      };
      // Its share of the rate for every second of the run, and not one more: the total is exact.
      client.responseMax = client.rate * opts.durationSeconds;
      client.on('request', () => {
        counts.sent++;
        lastSentAt = Date.now();
      });
      client.on('response', (status, _bytes, ms) => {
        statusCodes[status] = (statusCodes[status] ?? 0) + 1;
        if (status >= 200 && status < 400) counts.ok++;
        else counts.errors++;
        const bucket = Math.round(ms * 10) / 10;
        latencies.set(bucket, (latencies.get(bucket) ?? 0) + 1);
        answeredThisSecond++;
      });
      // Emitted after the reconnect that gave the timed-out request up (counted there as lost).
      client.on('timeout', () => { counts.timeouts++; });
    },
  }, (err) => finish(err));
  // autocannon's own renderer is not used (it renders only through autocannon.track): the live line is ours.
  const stop = () => {
    if (stoppedAt !== undefined) return;
    stoppedAt = Date.now();
    // Each connection stops at its next request; the one in flight is answered (or times out) first.
    for (const c of clients) c.responseMax = c.reqsMade;
  };
  // autocannon paces in whole seconds: the last second's requests go out at duration - 1 s. A server too
  // slow to keep up holds them back: at the duration, whatever is still unsent is not sent.
  const timer = setTimeout(stop, opts.durationSeconds * 1000);
  const onAbort = () => stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const ticker = setInterval(() => {
    opts.onProgress?.({ elapsedSeconds: Math.round((Date.now() - started) / 1000), sent: counts.sent, ok: counts.ok, errors: counts.errors, currentRate: answeredThisSecond });
    answeredThisSecond = 0;
  }, 1000);
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    clearInterval(ticker);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  const ended = Date.now();
  // A connection still holding a request when autocannon ended (it gave up on it): lost, an error.
  for (const c of clients) lose(c);
  // The sending window in autocannon's whole seconds: a burst goes out at the start of each.
  const interrupted = opts.signal?.aborted === true;
  const window = interrupted ? Math.max(1, Math.ceil((lastSentAt - started) / 1000)) : opts.durationSeconds;
  return {
    url: target.toString(),
    durationSeconds: window,
    rate: { target: opts.rate, achieved: Math.round((counts.sent / window) * 10) / 10 },
    requests: { total: counts.sent, ok: counts.ok, errors: counts.errors, statusCodes, timeouts: counts.timeouts, resets: counts.lost - counts.timeouts },
    latencyMs: percentiles(latencies),
    startedAt: new Date(started).toISOString(),
    endedAt: new Date(Math.min(ended, started + window * 1000)).toISOString(),
    interrupted,
  };
}
