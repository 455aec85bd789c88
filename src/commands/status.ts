import { parseStatusOptions, type RawOptions } from '../config/options.js';
import { CliError, ExitCode } from '../errors.js';
import { observeAll } from '../engine/engine.js';
import type { ResourceReport } from '../engine/types.js';
import { grafanaStatusSection, renderGrafanaStatus } from '../grafana/status.js';
import { stackEndpoints, workspaceEndpoint } from '../stack/endpoints.js';
import { stackIngestion } from '../stack/ingestion.js';
import { stackResources } from '../stack/resources.js';
import { observeDnsRecord } from '../stack/dns.js';
import { makeSpec } from '../stack/spec.js';
import { renderIngestion, renderResourceTable } from '../ui/render.js';
import { openSession, printJson } from './session.js';

export async function statusCommand(raw: RawOptions): Promise<number> {
  const conn = parseStatusOptions(raw);
  const session = await openSession(conn);
  try {
    const spec = makeSpec(conn.name, session.region);
    const stack = stackResources(spec);
    const resources = stack.all;
    const ctx = session.context(spec);
    session.reporter.phase(`Inspecting stack ${spec.name} in ${spec.region}`);
    const observed = await observeAll(resources, ctx);
    // The domain's alias record, found through what was observed (Grafana's root URL).
    await observeDnsRecord(ctx, stack, observed);
    if (!resources.some((r) => observed.get(r)?.owned)) {
      session.reporter.stop();
      if (conn.json) printJson({ stack: spec.name, region: spec.region, healthy: false, found: false, resources: [] });
      throw new CliError(`no stack named ${spec.name} in ${spec.region} (nothing carries the tag fargate-prom:stack=${spec.name})`, 'NOT_FOUND');
    }
    const metrics = stackIngestion(ctx, stack, conn.ampEndpointUrl);
    const reports: ResourceReport[] = await Promise.all(resources.map(async (r) => {
      const found = observed.get(r);
      if (!found) return { kind: r.kind, name: r.name, state: r.optional ? 'none' : 'missing', healthy: Boolean(r.optional) };
      if (!found.owned) return { kind: r.kind, name: r.name, id: found.id, state: 'not owned by this stack', healthy: false };
      const h = r.health ? await r.health(ctx, found.state) : { healthy: true, state: 'present' };
      return { kind: r.kind, name: r.name, id: found.id, state: h.state, healthy: h.healthy, ...(h.detail ? { detail: h.detail } : {}) };
    }));
    const listeners = stack.listeners.peek(ctx);
    const endpoints = stackEndpoints(ctx, stack, Boolean(listeners?.listeners.some((l) => l.port === 443)));
    const grafanaCheck = grafanaStatusSection({
      aws: session.aws,
      spec,
      stackUrl: endpoints.grafana.url,
      grafanaUrl: conn.grafanaUrl,
      workspace: workspaceEndpoint(stack.workspace.peek(ctx)),
      endpointUrl: conn.endpointUrl,
      ampEndpointUrl: conn.ampEndpointUrl,
      signal: session.signal,
    });
    const ingestion = await metrics;
    const grafana = await grafanaCheck;
    const healthy = reports.every((r) => r.healthy) && ingestion.healthy && grafana.healthy;
    session.reporter.stop();
    const result = { stack: spec.name, region: spec.region, healthy, found: true, resources: reports, ...endpoints, grafana: { ...endpoints.grafana, ...grafana }, metrics: ingestion };
    if (conn.json) {
      printJson(result);
    } else {
      const problems = [...reports.filter((r) => !r.healthy), ...ingestion.problems, ...grafana.problems];
      process.stdout.write([
        `Stack ${spec.name} in ${spec.region}: ${healthy ? 'healthy' : `${problems.length} problem${problems.length === 1 ? '' : 's'}`}`,
        '',
        renderResourceTable(reports, 'state'),
        '',
        ...reports.filter((r) => r.kind === 'ecs-service' && r.detail).map((r) =>
          `  ${r.name}: ${r.detail!.running}/${r.detail!.desired} running, ${r.detail!.pending} pending, rollout ${r.detail!.rolloutState}, targets ${r.detail!.targets ?? '-'}${r.detail!.recentFailure ? ` — ${r.detail!.recentFailure}` : ''}`),
        '',
        `  App:      ${endpoints.app.url ?? '(no load balancer)'}`,
        `  Grafana:  ${endpoints.grafana.url ?? '(no load balancer)'}`,
        renderGrafanaStatus(grafana),
        `  AMP:      ${endpoints.amp.workspaceId ?? '(no workspace)'}  ${endpoints.amp.remoteWriteUrl ?? ''}`,
        '',
        renderIngestion(ingestion),
        '',
      ].join('\n'));
    }
    return healthy ? ExitCode.ok : ExitCode.unhealthy;
  } finally {
    session.close();
  }
}
