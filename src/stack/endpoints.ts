import type { Context } from '../resources/context.js';
import type { WorkspaceState } from '../resources/amp-workspace.js';
import type { Stack } from './resources.js';
import { sdk } from '../aws/sdk.js';
import { stackDomain } from './dns.js';
import { remoteWriteUrl } from '../templates/agent.js';

export interface StackEndpoints {
  app: { url?: string };
  grafana: { url?: string };
  amp: { workspaceId?: string; remoteWriteUrl?: string };
}

/** The URLs a user wants at the end of `up` and in `status`, from whatever states are known. */
export function stackEndpoints(ctx: Context, stack: Stack, https = Boolean(ctx.spec.options?.certificateArn)): StackEndpoints {
  const alb = stack.loadBalancer.peek(ctx);
  const ws = workspaceEndpoint(stack.workspace.peek(ctx));
  // With a certificate the URLs use the name it covers: it never covers the ALB's own name.
  const domain = stackDomain(ctx, stack);
  const origin = domain ? `https://${domain}` : alb ? `${https ? 'https' : 'http'}://${alb.dnsName}` : undefined;
  return {
    app: { url: origin ? `${origin}/` : undefined },
    grafana: { url: origin ? `${origin}/dashboard/` : undefined },
    amp: { workspaceId: ws?.workspaceId, remoteWriteUrl: ws ? remoteWriteUrl(ws.prometheusEndpoint) : undefined },
  };
}

/** The stack's workspace with the endpoint AMP gave it, once known (observed or settled). */
export function workspaceEndpoint(ws: WorkspaceState | undefined): WorkspaceEndpoint | undefined {
  return ws?.prometheusEndpoint ? { workspaceId: ws.workspaceId, prometheusEndpoint: ws.prometheusEndpoint } : undefined;
}

/** A workspace as its URLs need it: the id and the endpoint AMP gave it (DescribeWorkspace's prometheusEndpoint). */
export interface WorkspaceEndpoint {
  workspaceId: string;
  prometheusEndpoint: string;
}

/**
 * A workspace's endpoint when it cannot be asked for (agent-config --workspace-id makes no AWS call):
 * AMP's host in the region's partition, whose DNS suffix the SDK knows (amazonaws.com.cn in China).
 * https://docs.aws.amazon.com/general/latest/gr/prometheus-service.html
 */
export function partitionPrometheusEndpoint(region: string, workspaceId: string): string {
  return `https://aps-workspaces.${region}.${sdk.core().partition(region).dnsSuffix}/workspaces/${workspaceId}/`;
}

/** A server standing in for AMP's query API (the sandbox's data plane), with AMP's /workspaces/<id> paths. */
export function standInQueryBase(server: string, workspaceId: string): string {
  return `${server.replace(/\/+$/, '')}/workspaces/${workspaceId}`;
}

/**
 * Where to send PromQL for a workspace: its endpoint, or — for local use (the sandbox, tests) — the
 * `override` server (--amp-endpoint-url or FARGATE_PROM_AMP_ENDPOINT, resolved by the command).
 */
export function ampQueryBase(workspace: WorkspaceEndpoint, override: string | undefined): string {
  return override ? standInQueryBase(override, workspace.workspaceId) : workspace.prometheusEndpoint.replace(/\/+$/, '');
}
