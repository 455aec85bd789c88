import type { AgentConfigResult } from '../commands/agent-config.js';
import type { DestroyResult } from '../commands/destroy.js';
import type { StatusResult } from '../commands/status.js';
import type { UpResult } from '../commands/up.js';
import { ApplyError } from '../engine/engine.js';
import { renderGrafanaUp } from '../grafana/up-step.js';
import { renderGrafanaStatus } from '../grafana/status.js';
import { renderDns } from '../stack/dns.js';
import type { CommandIo } from './io.js';
import { renderApplyFailure, renderIngestion, renderPlan, renderResourceTable, renderUpResult } from './render.js';

// The one place a command's result is shown: with --json one document on stdout, else text for people
// (the same on a terminal and in a log: only progress differs, and the reporter owns that).

type Io = Pick<CommandIo, 'stdout' | 'stderr'>;

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function showUp(result: UpResult, json: boolean, io: Io): void {
  if (result.outcome === 'failed') {
    if (result.error instanceof ApplyError) io.stderr.write(renderApplyFailure('up', result.error));
    if (json) printJson(io, result.report);
  } else if (json) {
    printJson(io, result.report);
  } else if (result.outcome === 'planned') {
    io.stdout.write(renderPlan(result.report.stack, result.report.region, result.changes));
  } else {
    io.stdout.write(renderUpResult(result.report) + renderDns(result.report.dns) + renderGrafanaUp(result.report.grafana));
  }
}

export function showStatus(result: StatusResult, json: boolean, io: Io): void {
  if (json) return printJson(io, result.report);
  if (result.outcome === 'not-found') return;
  const { report: r, endpoints, grafana } = result;
  const problems = [...r.resources.filter((x) => !x.healthy), ...r.metrics.problems, ...grafana.problems];
  io.stdout.write([
    `Stack ${r.stack} in ${r.region}: ${r.healthy ? 'healthy' : `${problems.length} problem${problems.length === 1 ? '' : 's'}`}`,
    '',
    renderResourceTable(r.resources, 'state'),
    '',
    ...r.resources.filter((x) => x.kind === 'ecs-service' && x.detail).map((x) =>
      `  ${x.name}: ${x.detail!.running}/${x.detail!.desired} running, ${x.detail!.pending} pending, rollout ${x.detail!.rolloutState}, targets ${x.detail!.targets ?? '-'}${x.detail!.recentFailure ? ` — ${x.detail!.recentFailure}` : ''}`),
    '',
    `  App:      ${endpoints.app.url ?? '(no load balancer)'}`,
    `  Grafana:  ${endpoints.grafana.url ?? '(no load balancer)'}`,
    renderGrafanaStatus(grafana),
    `  AMP:      ${endpoints.amp.workspaceId ?? '(no workspace)'}  ${endpoints.amp.remoteWriteUrl ?? ''}`,
    '',
    renderIngestion(r.metrics),
    '',
  ].join('\n'));
}

export function showDestroy(result: DestroyResult, json: boolean, io: Io): void {
  if (result.outcome === 'failed') {
    io.stderr.write(renderApplyFailure('destroy', result.error));
    if (json) printJson(io, result.report);
  } else if (json) {
    printJson(io, result.report);
  } else if (result.outcome === 'nothing') {
    io.stdout.write(`Nothing to delete: no resource of stack ${result.report.stack} in ${result.report.region} carries its tag.\n`);
  } else {
    const { report } = result;
    io.stdout.write(`\nStack ${report.stack} in ${report.region}: deleted ${report.resources.filter((r) => r.action === 'delete').length} resources.\n`);
    if (report.leftovers.length === 0) io.stdout.write('Sweep: nothing tagged with the stack is left.\n');
  }
}

/** The config as YAML, or the container definition as JSON: either is the whole of stdout. */
export function showAgentConfig(result: AgentConfigResult, io: Io): void {
  if (result.format === 'yaml') io.stdout.write(result.config);
  else printJson(io, result.container);
}
