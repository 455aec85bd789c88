import type { Context } from '../engine/types.js';
import type { WorkspaceState } from '../resources/amp-workspace.js';
import type { LoadBalancerState } from '../resources/load-balancer.js';
import { stackDomain } from './dns.js';
import { remoteWriteUrl, workspaceUrl } from '../templates/agent.js';

export interface StackEndpoints {
  app: { url?: string };
  grafana: { url?: string };
  amp: { workspaceId?: string; remoteWriteUrl?: string };
}

/** The URLs a user wants at the end of `up` and in `status`, from whatever states are known. */
export function stackEndpoints(ctx: Context, https = Boolean(ctx.spec.options?.certificateArn)): StackEndpoints {
  const alb = ctx.states.get('alb') as LoadBalancerState | undefined;
  const ws = ctx.states.get('workspace') as WorkspaceState | undefined;
  // With a certificate the URLs use the name it covers: it never covers the ALB's own name.
  const domain = stackDomain(ctx);
  const origin = domain ? `https://${domain}` : alb ? `${https ? 'https' : 'http'}://${alb.dnsName}` : undefined;
  return {
    app: { url: origin ? `${origin}/` : undefined },
    grafana: { url: origin ? `${origin}/dashboard/` : undefined },
    amp: { workspaceId: ws?.workspaceId, remoteWriteUrl: ws ? remoteWriteUrl(ctx.spec.region, ws.workspaceId) : undefined },
  };
}

/**
 * Where to send PromQL for a workspace: AMP itself, or — for local use (the sandbox, tests) — the
 * `override` server (--amp-endpoint-url or FARGATE_PROM_AMP_ENDPOINT, resolved by the command), with the
 * same /workspaces/<id> paths.
 */
export function ampQueryBase(region: string, workspaceId: string, override: string | undefined): string {
  return override ? `${override.replace(/\/+$/, '')}/workspaces/${workspaceId}` : workspaceUrl(region, workspaceId);
}
