import type { Protocol } from './wire.js';

export interface FaultOptions {
  seed: number;
  throttleRate?: number;
  serverErrorRate?: number;
  dropRate?: number;
  latencyMs?: number;
  /** Faults for the next calls of an action, in order, before any random one: `{ RegisterTaskDefinition: ['drop-after'] }`. */
  scripted?: Record<string, Fault[]>;
}

/** What happens to one call. `drop-before`: never reaches moto; `drop-after`: moto ran it, the reply is lost. */
export type Fault = 'throttle' | 'server-error-500' | 'server-error-503' | 'drop-before' | 'drop-after';

/** mulberry32: tiny, fast, and the same sequence for the same seed on every platform. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Decides faults call by call. Every call draws the same number of random values whatever the
 * outcome, so the n-th call's fault depends only on the seed and n.
 */
export class FaultPlan {
  private readonly random: () => number;
  private readonly scripted: Map<string, Fault[]>;

  constructor(readonly options: FaultOptions) {
    this.random = mulberry32(options.seed);
    this.scripted = new Map(Object.entries(options.scripted ?? {}).map(([action, faults]) => [action, [...faults]]));
  }

  get latencyMs(): number {
    return this.options.latencyMs ?? 0;
  }

  next(action: string): Fault | undefined {
    const [throttle, serverError, drop, variant] = [this.random(), this.random(), this.random(), this.random()];
    const scripted = this.scripted.get(action)?.shift();
    if (scripted) return scripted;
    if (throttle < (this.options.throttleRate ?? 0)) return 'throttle';
    if (serverError < (this.options.serverErrorRate ?? 0)) return variant < 0.5 ? 'server-error-500' : 'server-error-503';
    if (drop < (this.options.dropRate ?? 0)) return variant < 0.5 ? 'drop-before' : 'drop-after';
    return undefined;
  }
}

/** Each service's own throttling error code and HTTP status, as its SDK expects it. */
export function throttlingError(service: string, protocol: Protocol): { code: string; status: number; message: string } {
  if (protocol === 'ec2Query') return { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' };
  if (protocol === 'awsQuery') return { code: 'Throttling', status: 400, message: 'Rate exceeded' };
  return { code: 'ThrottlingException', status: protocol === 'restJson' ? 429 : 400, message: `Rate exceeded (${service})` };
}

export function serverErrorCode(protocol: Protocol, status: number): string {
  if (status === 503) return protocol === 'ec2Query' ? 'Unavailable' : 'ServiceUnavailable';
  return protocol === 'ec2Query' ? 'InternalError' : protocol === 'restJson' ? 'InternalServerException' : 'InternalFailure';
}

const EXPIRED_TOKEN_MESSAGE = 'The security token included in the request is expired';

/**
 * What each service answers a call signed with expired temporary credentials (HTTP 403
 * `ExpiredTokenException` in the AWS common errors; `ExpiredToken` on the query protocols;
 * EC2 reports them as `RequestExpired`). No SDK v3 retry covers these.
 */
export function expiredTokenError(protocol: Protocol): { code: string; status: number; message: string } {
  if (protocol === 'ec2Query') return { code: 'RequestExpired', status: 400, message: 'Request has expired.' };
  if (protocol === 'awsQuery') return { code: 'ExpiredToken', status: 403, message: EXPIRED_TOKEN_MESSAGE };
  return { code: 'ExpiredTokenException', status: 403, message: EXPIRED_TOKEN_MESSAGE };
}
