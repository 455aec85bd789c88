// fargate-prom reference app: Node.js default metrics for dashboard 11159 at GET /metrics, plus a request
// counter and a latency histogram of its own (custom metrics, labelled by method, route and status).
// GET / does a little CPU and allocation work so a load test moves the graphs; anything else is 404.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import client from 'prom-client';

const PORT = Number(process.env.PORT ?? 8080);
// All interfaces by default (a container); HOST=127.0.0.1 keeps it on loopback.
const HOST = process.env.HOST || undefined;

const register = new client.Registry();
client.collectDefaultMetrics({ register });

// Custom metrics: `sum(rate(http_requests_total[1m]))` is the request rate, the histogram the latency.
// The route is the matched one ("/", "/metrics" or "other"), never the raw path: bounded label values.
const requests = new client.Counter({
  name: 'http_requests_total',
  help: 'HTTP requests answered, by method, route and status code',
  labelNames: ['method', 'route', 'status'],
  registers: [register],
});
// The answered-page series exists from the first scrape, at 0: a rate is there before any traffic.
requests.labels('GET', '/', '200').inc(0);
const duration = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by method, route and status code',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [register],
});

/** A few milliseconds of hashing and some short-lived garbage: visible in CPU, heap and GC panels. */
function work() {
  const chunks = [];
  let digest = 'fargate-prom';
  for (let i = 0; i < 2000; i++) {
    digest = createHash('sha256').update(digest).digest('hex');
    if (i % 20 === 0) chunks.push(Buffer.alloc(16 * 1024, i % 256), new Array(256).fill(digest));
  }
  return { digest, allocatedKiB: chunks.length * 16 };
}

const server = createServer(async (req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  const route = path === '/' || path === '/metrics' ? path : 'other';
  const end = duration.startTimer();
  res.once('finish', () => {
    const labels = { method: req.method ?? 'GET', route, status: String(res.statusCode) };
    requests.inc(labels);
    end(labels);
  });
  try {
    if (req.method === 'GET' && path === '/metrics') {
      const body = await register.metrics();
      res.writeHead(200, { 'content-type': register.contentType });
      res.end(body);
    } else if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, ...work() }) + '\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('internal error\n');
    console.error(err);
  }
});

server.keepAliveTimeout = 65_000; // longer than an ALB's idle timeout (60 s)
server.listen(PORT, HOST, () => {
  const { address, port } = server.address();
  console.log(`metrics-app listening on ${address}:${port} (GET /metrics, GET /)`);
});

// ECS stops a task with SIGTERM, then SIGKILL after the stop timeout (30 s by default).
function shutdown(signal) {
  console.log(`metrics-app: ${signal}, closing`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 10_000).unref();
}
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
