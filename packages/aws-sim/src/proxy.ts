import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classify, type ClassifiedCall } from './classify.js';
import { expiredTokenError, FaultPlan, serverErrorCode, throttlingError, type Fault } from './faults.js';
import type { MotoClientPool } from './moto-clients.js';
import type { RuleBook, RuleContext } from './rule.js';
import type { SimState } from './state.js';
import { AwsError, errorReply, sendReply, type Reply } from './wire.js';
import { readBody } from './util/http.js';

export interface SimCall {
  service: string;
  action: string;
  mutating: boolean;
  status: number;
  fault?: string;
  at: number;
}

export interface ProxyDeps {
  motoEndpoint: string;
  state: SimState;
  clients: MotoClientPool;
  rules: RuleBook;
}

/** The HTTP front door: classifies each call, applies faults and rules, and forwards to moto. */
export class SimProxy {
  readonly calls: SimCall[] = [];
  faults: FaultPlan | undefined;
  private server: Server | undefined;
  private readonly moto: URL;

  constructor(private readonly deps: ProxyDeps) {
    this.moto = new URL(deps.motoEndpoint);
  }

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent) sendReply(res, errorReply('awsJson', 'InternalFailure', `simulation error: ${(err as Error).message}`, 500));
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const call = classify(req.method ?? 'GET', req.url ?? '/', req.headers, body);
    if (!call) {
      // /moto-api and anything unsigned: straight through.
      if (req.method === 'POST' && req.url?.startsWith('/moto-api/reset')) this.deps.state.clear();
      sendReply(res, await this.forward(req, body));
      return;
    }
    const record: SimCall = { service: call.service, action: call.action, mutating: call.mutating, status: 0, at: Date.now() };
    this.calls.push(record);
    // AWS authenticates a call before anything else: expired credentials are refused before any fault or rule.
    const token = req.headers['x-amz-security-token'];
    if (typeof token === 'string' && this.deps.state.expiredSessionTokens.has(token)) {
      const { code, status, message } = expiredTokenError(call.protocol);
      record.fault = 'expired-token';
      record.status = status;
      sendReply(res, errorReply(call.protocol, code, message, status));
      return;
    }
    const plan = this.faults;
    const fault = plan?.next(call.action);
    if (fault) record.fault = fault;
    if (plan && plan.latencyMs > 0) await sleep(plan.latencyMs);

    if (fault === 'drop-before') return void req.socket.destroy();
    const injected = fault && injectedError(call, fault);
    const reply = injected ?? (await this.applyRules(call, req, body));
    if (fault === 'drop-after') return void req.socket.destroy();
    record.status = reply.status;
    sendReply(res, reply);
  }

  private async applyRules(call: ClassifiedCall, req: IncomingMessage, body: Buffer): Promise<Reply> {
    const ctx: RuleContext = {
      call,
      state: this.deps.state,
      moto: this.deps.clients.forRegion(call.region),
      forward: (replacement) => this.forward(req, replacement ?? body),
    };
    const service = this.deps.rules[call.service];
    const rule = service?.actions[call.action];
    try {
      await service?.before?.(ctx);
      return rule ? await rule(ctx) : await ctx.forward();
    } catch (err) {
      if (err instanceof AwsError) return errorReply(call.protocol, err.code, err.message, err.status, err.extra);
      return errorReply(call.protocol, 'InternalFailure', `simulation error in ${call.action}: ${(err as Error).message}`, 500);
    }
  }

  private forward(req: IncomingMessage, body: Buffer): Promise<Reply> {
    const headers = { ...req.headers, host: this.moto.host, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    delete headers.expect;
    return new Promise((resolve, reject) => {
      const upstream = httpRequest(
        { hostname: this.moto.hostname, port: this.moto.port, method: req.method, path: req.url, headers },
        (motoRes) => {
          readBody(motoRes).then((responseBody) => {
            const responseHeaders: Record<string, string> = {};
            for (const [name, value] of Object.entries(motoRes.headers)) {
              if (value !== undefined && name !== 'transfer-encoding' && name !== 'connection') {
                responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
              }
            }
            resolve({ status: motoRes.statusCode ?? 500, headers: responseHeaders, body: responseBody });
          }, reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}

function injectedError(call: ClassifiedCall, fault: Fault): Reply | undefined {
  if (fault === 'throttle') {
    const { code, status, message } = throttlingError(call.service, call.protocol);
    return errorReply(call.protocol, code, message, status);
  }
  if (fault === 'server-error-500' || fault === 'server-error-503') {
    const status = fault === 'server-error-500' ? 500 : 503;
    return errorReply(call.protocol, serverErrorCode(call.protocol, status), 'Simulated server error', status);
  }
  return undefined;
}



export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
