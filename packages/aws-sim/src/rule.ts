import type { ClassifiedCall } from './classify.js';
import type { MotoClients } from './moto-clients.js';
import type { SimState } from './state.js';
import type { Reply } from './wire.js';

/** What a rule gets: the call, the simulation state, moto clients for look-ups, and moto itself. */
export interface RuleContext {
  call: ClassifiedCall;
  state: SimState;
  moto: MotoClients;
  /** Sends the call to moto (optionally with a different body) and returns moto's reply. */
  forward(body?: Buffer): Promise<Reply>;
}

/**
 * Handles one action. Throw `AwsError` to reject, return a made-up Reply to answer without moto,
 * or call `ctx.forward()` and return (a rewrite of) its reply.
 */
export type ActionRule = (ctx: RuleContext) => Promise<Reply>;

/** Runs before every call of one service, whether an action rule handles it or it goes straight to moto. */
export type ServiceHook = (ctx: RuleContext) => Promise<void>;

/** One service's rules: by action, and an optional hook run before any of its calls. */
export interface ServiceRules {
  before?: ServiceHook;
  actions: Record<string, ActionRule>;
}

/** Rules keyed by SigV4 service name. */
export type RuleBook = Record<string, ServiceRules>;

export function isSuccess(reply: Reply): boolean {
  return reply.status >= 200 && reply.status < 300;
}

export function replyJson(reply: Reply): any {
  return JSON.parse(reply.body.toString('utf8') || '{}');
}

/** The same reply with a new body (content-length is recomputed when sent). */
export function withBody(reply: Reply, body: string | Buffer): Reply {
  return { ...reply, body: typeof body === 'string' ? Buffer.from(body) : body };
}

/** A successful JSON reply with its body changed by `change`; an error reply as it is. */
export function rewriteJson(reply: Reply, change: (body: any) => any): Reply {
  return isSuccess(reply) ? withBody(reply, JSON.stringify(change(replyJson(reply)))) : reply;
}
