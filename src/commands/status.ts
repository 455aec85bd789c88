import type { StatusOptions } from '../config/options.js';
import { CliError, ExitCode } from '../errors.js';
import { observeAll } from '../engine/engine.js';
import type { ResourceReport } from '../engine/types.js';
import { grafanaStatusSection, type GrafanaStatus } from '../grafana/status.js';
import { stackEndpoints, workspaceEndpoint, type StackEndpoints } from '../stack/endpoints.js';
import { stackIngestion, type StackIngestion } from '../stack/ingestion.js';
import { stackResources } from '../stack/resources.js';
import { observeDnsRecord } from '../stack/dns.js';
import { makeSpec, stackNotFound } from '../stack/spec.js';
import type { CommandIo } from '../ui/io.js';
import { withTimeScale } from '../util/time.js';
import { openSession } from './session.js';

/** `status --json` for a stack that exists, field for field. */
export type StatusReport = { stack: string; region: string; healthy: boolean; found: true; resources: ResourceReport[] } &
  Omit<StackEndpoints, 'grafana'> & { grafana: StackEndpoints['grafana'] & GrafanaStatus; metrics: StackIngestion };

/** What `status` found; `error`, when set, is reported after the result is shown. */
export type StatusResult =
  | { outcome: 'checked'; report: StatusReport; endpoints: StackEndpoints; grafana: GrafanaStatus; error?: undefined }
  | { outcome: 'not-found'; report: { stack: string; region: string; healthy: false; found: false; resources: [] }; error: CliError };

/** 0 when everything is healthy, 3 when something is not (a missing stack is its error's 4). */
export function statusExitCode(result: StatusResult): number {
  return result.outcome === 'checked' && result.report.healthy ? ExitCode.ok : ExitCode.unhealthy;
}

/** Every resource's health, Grafana's, and whether metrics arrive in AMP. */
export function runStatus(opts: StatusOptions, io: CommandIo): Promise<StatusResult> {
  return withTimeScale(io.timeScale, () => status(opts, io));
}

async function status(conn: StatusOptions, io: CommandIo): Promise<StatusResult> {
  const session = await openSession(conn, io);
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
      return {
        outcome: 'not-found',
        report: { stack: spec.name, region: spec.region, healthy: false, found: false, resources: [] },
        error: stackNotFound(spec),
      };
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
    return {
      outcome: 'checked',
      report: { stack: spec.name, region: spec.region, healthy, found: true, resources: reports, ...endpoints, grafana: { ...endpoints.grafana, ...grafana }, metrics: ingestion },
      endpoints,
      grafana,
    };
  } finally {
    session.close();
  }
}
